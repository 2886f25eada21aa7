// Package web is Grantflow's front door for people: server-rendered pages that follow the GOV.UK
// Design System's markup and work without JavaScript. Every read of an application and every step
// goes through the JSON API's own methods (Options.API), so the pages apply exactly the API's
// visibility rule and the workflows' validators; the store is read directly only for what has no
// owner there (funding rounds, queues, budgets, uploads). It needs no Temporal client of its own.
//
// Mount it beside the API:
//
//	api := &apiv1.Server{Temporal: c, Store: st, Logger: logger}
//	web.New(web.Options{Store: st, Logger: logger, API: api}).Register(engine)
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/publication"
	"grantflow/publication/threesixtygiving"
	"grantflow/scheme"
	"grantflow/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// assetFS holds what /assets/ serves. Only a small fallback stylesheet lives here in the source;
// the build adds govuk-frontend's CSS, fonts and images beside it (from npm) before compiling.
//
//go:embed assets
var assetFS embed.FS

// Options configure the pages. Store is required; everything else has a default.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts: 12 hours when zero.
	SessionTTL time.Duration
	// InsecureCookies drops the Secure attribute and the __Host- prefix from cookies, so that
	// tests over plain-HTTP localhost can keep them in a cookie jar. Never set it in production.
	InsecureCookies bool
	// Key signs the forms' CSRF tokens; at least 32 bytes. When shorter or empty a random key is
	// made at start, so a form left open across a restart, or shown by another replica, has to be
	// sent again (production requires CSRF_KEY). PreviousKey, during a rotation, is the key
	// before Key: tokens it signed are still accepted, new ones are signed with Key.
	Key, PreviousKey []byte
	// Clock is the time rounds are open against (tests and demos); nil is the real clock.
	Clock func() time.Time
	// Funder names the body that runs the service (in the header); ServiceName is the service's
	// name; ContactEmail is where people report accessibility problems.
	Funder       string
	ServiceName  string
	ContactEmail string
	// API is the JSON API's core, through which every page reads an application and every form
	// sends its step, so that pages and endpoints apply the same rules (the router passes its
	// apiv1.Server). Pages that need it answer with the sorry page without it.
	API *apiv1.Server
	// Submitter submits an application; API.SubmitApplication when nil (tests replace it).
	Submitter Submitter
	// OpenData names the funder, prefix and licence of the published 360Giving files.
	OpenData threesixtygiving.Publisher
	// TemporalUI is the Temporal Web UI's base address and the namespace the workflows run in: an
	// application's page links staff to its workflow there. No base, no link.
	TemporalUI, TemporalNamespace string
}

// Submitter submits a complete draft and starts its workflow, applying the JSON API's rules. Its
// errors are the API's (httperr): a 422 naming each missing field, 404, 403 or 409.
type Submitter interface {
	Submit(ctx context.Context, u store.User, applicationID int64) error
}

// SubmitterFunc makes a function a Submitter: web.SubmitterFunc(api.SubmitApplication).
type SubmitterFunc func(ctx context.Context, u store.User, applicationID int64) error

// Submit calls f.
func (f SubmitterFunc) Submit(ctx context.Context, u store.User, applicationID int64) error {
	return f(ctx, u, applicationID)
}

// Server serves the pages.
type Server struct {
	opts   Options
	pages  pages
	keys   [][]byte // the key that signs first, then any still accepted
	cop    *http.CrossOriginProtection
	assets fs.FS
}

// New builds the server; it panics only if the embedded templates do not parse (a build defect).
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Funder == "" {
		o.Funder = "Office of the Police and Crime Commissioner"
	}
	if o.ServiceName == "" {
		o.ServiceName = "Apply for a community safety grant"
	}
	if o.ContactEmail == "" {
		o.ContactEmail = "grants@opcc.example.org"
	}
	o.OpenData = o.OpenData.OrDefaults(o.Funder)
	keys := [][]byte{o.Key}
	if len(o.Key) < 32 {
		keys[0] = make([]byte, 32)
		rand.Read(keys[0])
	} else if len(o.PreviousKey) >= 32 {
		keys = append(keys, o.PreviousKey)
	}
	if o.Submitter == nil && o.API != nil {
		o.Submitter = SubmitterFunc(o.API.SubmitApplication)
	}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	return &Server{
		opts:   o,
		pages:  mustParsePages(),
		keys:   keys,
		cop:    http.NewCrossOriginProtection(),
		assets: assets,
	}
}

// Register mounts the pages and /assets/ on the router (normally the engine's root).
func (s *Server) Register(r gin.IRouter) {
	r.GET("/assets/*filepath", s.securityHeaders, s.asset)

	base := r.Group("", s.securityHeaders, limitForm, s.session)
	g := base.Group("", s.verifyCSRF)
	g.GET("/", s.home)
	g.GET("/check", s.checkForm)
	g.POST("/check", s.check)
	g.GET("/sign-in", s.signInForm)
	g.POST("/sign-in", s.requireAPI, s.signIn)
	// The half-signed-in pages: a right password, then the second factor (or its set-up for staff).
	g.GET("/sign-in/code", s.codeForm)
	g.POST("/sign-in/code", s.requireAPI, s.Throttle("second-factor"), s.code)
	g.GET("/sign-in/enrol", s.enrolForm)
	g.POST("/sign-in/enrol", s.requireAPI, s.Throttle("second-factor"), s.enrol)
	g.GET("/sign-out", s.signOutForm)
	g.POST("/sign-out", s.signOut)
	g.GET("/register", s.registerForm)
	g.POST("/register", s.requireAPI, s.Throttle("registration"), s.register)
	g.GET("/accessibility", s.accessibility)
	// The open data (no sign-in): what is published, and the 360Giving files, streamed.
	g.GET(threesixtygiving.PagePath, s.openData)
	g.GET(threesixtygiving.JSONPath, s.requireAPI, s.opts.API.DownloadSlot, s.openData360JSON)
	g.GET(threesixtygiving.CSVPath, s.requireAPI, s.opts.API.DownloadSlot, s.openData360CSV)
	g.GET("/decisions", s.requireAPI, s.decisions)
	g.GET("/decisions/:number", s.requireAPI, s.decision)
	// The public grants register and its monthly publications (grants_register.go).
	g.GET("/grants", s.requireAPI, s.grants)
	g.GET("/grants.csv", s.requireAPI, s.opts.API.DownloadSlot, s.grantsDownload(publication.FormatCSV))
	g.GET("/grants.json", s.requireAPI, s.opts.API.DownloadSlot, s.grantsDownload(publication.FormatJSON))
	g.GET("/grants/publications", s.requireAPI, s.grantsPublications)
	g.GET("/grants/publications/:file", s.grantsPublicationFile)

	// Everything else needs a signed-in person, checked before the form's token: a form sent after
	// the session ended goes to the sign-in page saying so.
	signed := base.Group("", s.requireSignIn, s.verifyCSRF)
	signed.GET("/applications", s.applications)
	// Drafts are the applicant organisation's alone, as in the API (staff are refused, 403).
	drafts := signed.Group("", s.requireRole(scheme.RoleApplicant))
	drafts.GET("/applications/new", s.newApplicationForm)
	drafts.POST("/applications/new", s.createApplication)
	drafts.GET("/applications/:id/edit", s.editApplicationForm)
	drafts.POST("/applications/:id/edit", s.saveApplication)
	drafts.POST("/applications/:id/submit", s.submitApplication)
	drafts.GET("/applications/:id/tasks", s.taskList)
	drafts.GET("/applications/:id/sections/:section", s.sectionForm)
	drafts.POST("/applications/:id/sections/:section", s.saveSection)
	drafts.GET("/applications/:id/check-answers", s.checkAnswers)

	// One application's page, for its organisation and for staff, and the steps people take there.
	// Every step goes through the API (requireAPI), which applies the role and organisation rules.
	app := signed.Group("", s.requireAPI)
	app.GET("/applications/:id", s.applicationPage)
	app.GET("/notifications", s.notificationsPage)
	// Everyone's own sign-in security; applicants may turn a second factor on and off.
	app.GET("/account/second-factor", s.secondFactorPage)
	app.GET("/account/second-factor/set-up", s.secondFactorSetUpForm)
	app.POST("/account/second-factor/set-up", s.secondFactorSetUp)
	app.POST("/account/second-factor/recovery-codes", s.regenerateRecoveryCodes)
	app.POST("/account/second-factor/turn-off", s.turnOffSecondFactor) // the code is checked under the sign-in throttle
	// The admin's pages (scheme.Role.ManagesPeople): the audit trail and second-factor resets.
	peopleAdmin := app.Group("", s.requireManagesPeople)
	peopleAdmin.GET("/admin/audit", s.adminAudit)
	peopleAdmin.GET("/admin/second-factor-reset", s.resetSecondFactorForm)
	peopleAdmin.POST("/admin/second-factor-reset", s.resetSecondFactor)
	app.POST("/notifications/:id/read", s.markNotificationRead)
	app.GET("/notification-settings", s.notificationSettingsPage)
	app.POST("/notification-settings", s.saveNotificationSettings)
	app.GET("/applications/:id/submitted", s.submittedCopy)
	app.GET("/documents/:id", s.downloadDocument)
	app.POST("/applications/:id/information-response", s.answerInformation)
	app.POST("/applications/:id/acceptance", s.acceptOffer)
	app.POST("/applications/:id/bank-details", s.changeBankDetails)
	app.POST("/applications/:id/bank-details/call-back", s.recordBankCallBack)
	app.GET("/applications/:id/bank-details/notice.pdf", s.bankDetailsNotice)
	app.POST("/applications/:id/variation-acceptance", s.acceptVariation)
	app.POST("/applications/:id/report", s.submitReport)
	app.POST("/applications/:id/returns", s.submitReturn)
	app.POST("/applications/:id/conflicts", s.declareConflict)
	app.POST("/applications/:id/assessments", s.assess)
	app.POST("/applications/:id/panel", s.assignPanel)
	app.POST("/applications/:id/moderation", s.moderate)
	app.POST("/applications/:id/decision", s.decide)
	app.POST("/applications/:id/conditions-precedent", s.confirmConditions)
	app.POST("/applications/:id/return-reviews", s.reviewReturn)
	app.POST("/applications/:id/report-review", s.reviewReport)
	app.POST("/applications/:id/variations", s.vary)
	app.POST("/applications/:id/termination", s.terminate)
	app.POST("/applications/:id/payments", s.recordPayment)
	app.POST("/applications/:id/return-waivers", s.waiveReturns)
	app.POST("/applications/:id/repayments", s.recordRepayment)
	app.POST("/applications/:id/write-off", s.writeOff)
	app.POST("/applications/:id/case-officer", s.assignCaseOfficer)

	// Uploads (a safeguarding policy, say) have their own, larger, body limit.
	// Signed in before the body is read: nobody else's upload is parsed at all.
	r.POST("/applications/:id/uploads", s.securityHeaders, limitUpload, s.session, s.requireSignIn, s.refuseLargeUpload, s.verifyCSRF, s.upload)
	app.GET("/applications/:id/uploads", s.uploadsPage)
	app.GET("/uploads/:id", s.downloadUpload)

	// Managing schemes and their rules: admin and head of commissioning (scheme.Role.ManagesSchemes).
	schemeAdmin := app.Group("/admin", s.requireSchemeManager)
	schemeAdmin.GET("/schemes", s.adminSchemes)
	schemeAdmin.GET("/schemes/new", s.newSchemeForm)
	schemeAdmin.POST("/schemes/new", s.createScheme)
	schemeAdmin.GET("/schemes/:id", s.adminSchemePage)
	schemeAdmin.GET("/schemes/:id/edit", s.editSchemeForm)
	schemeAdmin.POST("/schemes/:id/edit", s.saveScheme)
	schemeAdmin.GET("/schemes/:id/versions", s.rulesVersionsPage)
	schemeAdmin.GET("/schemes/:id/versions/:version", s.rulesVersionPage)
	schemeAdmin.GET("/schemes/:id/form", s.schemeFormPage)
	schemeAdmin.POST("/schemes/:id/form", s.saveSchemeForm)

	// Staff work queues and budgets.
	staff := app.Group("", s.requireRole(scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner, scheme.RoleAdmin))
	staff.GET("/work", s.workQueues)
	staff.GET("/schemes/:id/budget", s.schemeBudget)

	// Rounds and budgets, for those who manage schemes (rounds.go); round news for anyone signed in.
	managers := app.Group("", s.requireSchemeManager)
	managers.POST("/schemes/:id/budget", s.setBudget)
	managers.GET("/admin/schemes/:id/rounds", s.adminRounds)
	managers.GET("/admin/rounds/new", s.newRoundForm)
	managers.POST("/admin/rounds/new", s.createRound)
	managers.GET("/admin/rounds/:id", s.adminRound)
	managers.POST("/admin/rounds/:id/closure", s.closeRound)
	managers.POST("/admin/rounds/:id/extension", s.extendRound)
	app.GET("/schemes/:id/rounds", s.schemeRounds)
	app.POST("/schemes/:id/round-subscription", s.roundSubscription)

	// Finding any application is open to everyone who may read any application (the API's rule: all
	// staff), finance included: they look up an award from a remittance query. The page only reads.
	readers := app.Group("", s.requireRole(staffRoles()...))
	readers.GET("/staff/applications", s.findApplications)

	// Performance figures and the Police and Crime Panel's reports (scheme.Role.SeesPerformance):
	// the page, its CSV and the reports; making a report now is checked by the API
	// (scheme.Role.MakesPanelReports).
	perf := app.Group("", s.requireRole(rolesThat(scheme.Role.SeesPerformance)...))
	perf.GET("/performance", s.performancePage)
	perf.GET("/performance.csv", s.performanceCSV)
	perf.GET("/performance/panel-reports", s.panelReportsPage)
	perf.POST("/performance/panel-reports", s.makePanelReport)
	perf.GET("/performance/panel-reports/:file", s.downloadPanelReport)

	// Finance.
	fin := app.Group("", s.requireRole(scheme.RoleFinance, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleAdmin))
	fin.GET("/finance", s.financePage)
	fin.GET("/finance/payments-due.csv", s.paymentsDueCSV)
	// Paying is finance's alone: the file carries full account numbers, and the workflows' rule book
	// lets only finance propose, approve and record payments.
	payers := app.Group("", s.requireRole(scheme.RoleFinance))
	payers.GET("/finance/payment-file.csv", s.paymentFileCSV)
	payers.POST("/finance/proposals", s.proposePayments)
	payers.POST("/finance/approvals", s.approvePayments)
	payers.POST("/finance/paid", s.markPaid)

	// People: passwords, e-mail verification, invitations' links, organisations, and "Manage
	// people" for admins (people.go, admin_people.go).
	s.registerPeople(g, signed)
}

// rolesThat lists the roles for which the rule holds, so that a page's roles are the rule's.
func rolesThat(rule func(scheme.Role) bool) []scheme.Role {
	var out []scheme.Role
	for _, r := range scheme.Roles {
		if rule(r) {
			out = append(out, r)
		}
	}
	return out
}

// staffRoles are the roles that may read every application (scheme.Role.IsStaff).
func staffRoles() []scheme.Role {
	var out []scheme.Role
	for _, r := range scheme.Roles {
		if r.IsStaff() {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock()
	}
	return time.Now()
}

// maxForm caps a form's body; the longest form here is a few kilobytes.
const maxForm = 64 << 10

// NotFoundHandlers answer an address that is not a page with the pages' own "Page not found"
// (the router sends the API's unknown addresses elsewhere first).
func (s *Server) NotFoundHandlers() []gin.HandlerFunc {
	return []gin.HandlerFunc{s.securityHeaders, s.session, s.notFound}
}

// maxUpload caps an uploaded document (the form around it is small).
const maxUpload = maxUploadFile + 64<<10

func limitUpload(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxUpload)
	c.Next()
}

func limitForm(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxForm)
	c.Next()
}

// securityHeaders go on every response of this front door. The policy allows scripts, styles,
// fonts and images from this origin only (no inline script at all), no framing, no plug-ins, and
// forms that post back here.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	headers.SetStrictTransport(h, c.Request, !s.opts.InsecureCookies) // Secure, __Host- cookies: served over https
	c.Next()
}

// asset serves a file embedded under assets/; directories are not listed.
func (s *Server) asset(c *gin.Context) {
	name := c.Param("filepath")
	if len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	if st, err := fs.Stat(s.assets, name); err != nil || st.IsDir() || !fs.ValidPath(name) {
		c.Header("Cache-Control", "no-store")
		c.String(http.StatusNotFound, "Not found")
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	http.ServeFileFS(c.Writer, c.Request, s.assets, name)
}

// serverError logs a failure of ours and shows the sorry page: 503 when the request ran out of
// time, 500 otherwise. Bad input never comes here.
func (s *Server) serverError(c *gin.Context, err error) {
	if he := httperr.From(err); he.Undecided {
		s.tryAgain(c, he, formPage(c.Request.URL.Path))
		return
	}
	status := http.StatusInternalServerError
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		status = http.StatusServiceUnavailable
	} else {
		s.opts.Logger.ErrorContext(c.Request.Context(), "page failed", "method", c.Request.Method, "path", c.FullPath(), "error", err)
	}
	s.render(c, status, "error", page{Title: "Sorry, there is a problem with the service", Data: errorPage{
		Heading: "Sorry, there is a problem with the service",
		Lines:   []string{"Try again later.", "Anything you were sending has not been saved."},
	}})
	c.Abort()
}

// errorPage is what the error template shows.
type errorPage struct {
	Heading string
	Lines   []string
	Link    string
	LinkTo  string
}

// tryAgain is the page for a step the workflow did not answer in time (httperr.StepTimedOut): it
// was sent and may still be taken, so the person goes back to check before sending it again.
func (s *Server) tryAgain(c *gin.Context, he *httperr.Error, back string) {
	if he.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(he.RetryAfter))
	}
	s.render(c, http.StatusServiceUnavailable, "error", page{Title: "The service did not answer in time", Data: errorPage{
		Heading: "The service did not answer in time",
		Lines: []string{
			"What you sent may still be recorded in the next few moments.",
			"Go back and check whether it was before you send it again. Nothing saved before has been lost.",
		},
		Link: "Go back and check", LinkTo: back,
	}})
	c.Abort()
}
