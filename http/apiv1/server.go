// Package apiv1 is Grantflow's JSON API under /api/v1: applicants, staff and finance drive
// applications through it. Commands go to Temporal; lists and reads come from the Postgres read model.
package apiv1

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
	"grantflow/letters"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Server holds what the handlers need.
type Server struct {
	Temporal client.Client
	Store    *store.Store
	Logger   *slog.Logger
	TokenTTL time.Duration
	// TaskQueue is where new workflows are started; workflows.TaskQueue unless tests isolate themselves.
	TaskQueue string
	// Clock, when set, is the time service applications run on: their workflows get the offset
	// from the real clock. Tests and demos only; nil means the real clock.
	Clock func() time.Time
	// Letterhead heads the documents written on request (finance's payee bank details notice).
	Letterhead letters.Letterhead
	// StepTimeout bounds how long a request that starts or updates a workflow waits for Temporal
	// (STEP_TIMEOUT); DefaultStepTimeout when zero.
	StepTimeout time.Duration

	downloadsOnce sync.Once
	downloads     chan struct{} // the whole-register downloads streaming now (downloads.go)
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

const userKey = "grantflow.user"

// Register mounts every route on the group (normally /api/v1).
func (s *Server) Register(g *gin.RouterGroup) {
	g.POST("/registrations", s.Throttle("registration"), s.register)
	g.POST("/tokens", s.issueToken)
	g.GET("/schemes", s.listSchemes)
	g.GET("/schemes/:id", s.getScheme)
	g.GET("/decisions", s.listDecisions)
	g.GET("/decisions/:number", s.getDecision)
	g.GET("/register", s.listRegister) // the public grants register, a page at a time (register.go)
	g.GET("/register/publications", s.listRegisterPublications)

	// New recovery codes are a secret shown once and kept only as hashes, so their answer is never
	// stored under an Idempotency-Key: a repeat makes new codes.
	g.POST("/me/second-factor/recovery-codes", s.authenticate, s.regenerateRecoveryCodes)
	auth := g.Group("", s.authenticate, s.idempotent)
	auth.GET("/me", s.me)
	auth.GET("/me/second-factor", s.getSecondFactor)
	auth.POST("/admin/users/:id/second-factor-reset", s.resetSecondFactor)
	auth.GET("/admin/audit", s.adminAudit)
	auth.GET("/notifications", s.listNotifications)
	auth.POST("/notifications/:id/read", s.markNotificationRead)
	auth.GET("/me/notification-settings", s.getNotificationSettings)
	auth.PUT("/me/notification-settings", s.putNotificationSettings)
	auth.POST("/applications", s.createDraft)
	auth.GET("/applications", s.listApplications)
	auth.GET("/applications/:id", s.getApplication)
	auth.PUT("/applications/:id", s.updateDraft)
	auth.POST("/applications/:id/submit", s.submit)
	auth.GET("/applications/:id/submitted", s.getSubmitted)
	auth.POST("/applications/:id/conflicts", stepHandler(s, s.DeclareConflict))
	auth.POST("/applications/:id/assessments", stepHandler(s, s.Assess))
	auth.POST("/applications/:id/decision", stepHandler(s, s.Decide))
	auth.POST("/applications/:id/information-response", stepHandler(s, s.AnswerInformation))
	auth.POST("/applications/:id/acceptance", stepHandler(s, s.AcceptOffer))
	auth.POST("/applications/:id/bank-details", s.changeBankDetails)
	auth.POST("/applications/:id/bank-details/call-back", s.recordBankCallBack)
	auth.GET("/applications/:id/bank-details/notice", s.payeeBankDetailsNotice)
	auth.POST("/applications/:id/payment-proposal", stepHandler(s, s.ProposePayment))
	auth.POST("/applications/:id/payment-approval", stepHandler(s, s.ApprovePayment))
	auth.POST("/applications/:id/payments", stepHandler(s, s.RecordPayment))
	auth.POST("/payments/proposals", batchHandler(s, s.ProposePayments))
	auth.POST("/payments/approvals", batchHandler(s, s.ApprovePayments))
	auth.POST("/payments/paid", batchHandler(s, s.MarkPaid))
	auth.GET("/payments/file.csv", s.paymentFileCSV)
	auth.POST("/applications/:id/report", stepHandler(s, s.SubmitReport))
	auth.POST("/applications/:id/report-review", stepHandler(s, s.ReviewReport))
	auth.GET("/applications/:id/documents", s.listDocuments)
	auth.PUT("/applications/:id/case-officer", s.assignCaseOfficer)
	auth.GET("/case-officers", s.listCaseOfficers)
	auth.GET("/documents/:id", s.downloadDocument)
	auth.GET("/finance/notices", s.listFinanceNotices)
	auth.GET("/schemes/:id/years", s.schemeYears)
	auth.GET("/performance", s.performance)
	auth.GET("/admin/schemes/:id/form", s.getSchemeForm)
	auth.PUT("/admin/schemes/:id/form", s.putSchemeForm)
	// Service (multi-year) awards.
	auth.POST("/applications/:id/panel", stepHandler(s, s.AssignPanel))
	auth.POST("/applications/:id/moderation", stepHandler(s, s.Moderate))
	auth.POST("/applications/:id/conditions-precedent", stepHandler(s, s.ConfirmConditions))
	auth.POST("/applications/:id/returns", stepHandler(s, s.SubmitReturn))
	auth.POST("/applications/:id/return-reviews", stepHandler(s, s.ReviewReturn))
	auth.POST("/applications/:id/variations", stepHandler(s, s.Vary))
	auth.POST("/applications/:id/variation-acceptance", stepHandler(s, s.AcceptVariation))
	auth.POST("/applications/:id/termination", stepHandler(s, s.Terminate))
	auth.POST("/applications/:id/return-waivers", stepHandler(s, s.WaiveReturns))
	auth.POST("/applications/:id/repayments", stepHandler(s, s.RecordRepayment))
	auth.POST("/applications/:id/write-off", stepHandler(s, s.WriteOff))
	auth.GET("/applications/:id/finance", s.applicationFinance)
	auth.GET("/applications/:id/indicators", s.indicators)
	// Schemes and their rules, set up by the office (scheme.Role.ManagesSchemes).
	auth.GET("/admin/schemes", s.listAdminSchemes)
	auth.POST("/admin/schemes", s.createAdminScheme)
	auth.GET("/admin/schemes/:id", s.getAdminScheme)
	auth.PUT("/admin/schemes/:id", s.putAdminScheme)
	auth.GET("/admin/schemes/:id/versions", s.listRulesVersions)
	auth.GET("/admin/schemes/:id/versions/:version", s.getRulesVersion)
	// People: staff (admins), passwords, e-mail verification, organisations' members (people.go).
	s.registerPeople(g, auth)
	// Rounds and budgets, for those who manage schemes (rounds.go); round news for anyone signed in.
	auth.GET("/admin/schemes/:id/rounds", s.listRounds)
	auth.POST("/admin/schemes/:id/rounds", s.createRound)
	auth.GET("/admin/rounds/:id", s.getRound)
	auth.POST("/admin/rounds/:id/closure", s.closeRound)
	auth.POST("/admin/rounds/:id/extension", s.extendRound)
	auth.GET("/admin/schemes/:id/budgets", s.listBudgetChanges)
	auth.GET("/panel-reports", s.listPanelReports)
	auth.GET("/panel-reports/:id", s.getPanelReport)
	auth.GET("/panel-reports/:id/pdf", s.downloadPanelReport("pdf"))
	auth.GET("/panel-reports/:id/csv", s.downloadPanelReport("csv"))
	auth.PUT("/admin/schemes/:id/budgets/:fy", s.putBudget)
	auth.PUT("/schemes/:id/round-subscription", s.subscription(true))
	auth.DELETE("/schemes/:id/round-subscription", s.subscription(false))
}

// authenticate resolves the bearer token to a user, or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || token == "" {
		httperr.Respond(c, s.Logger, httperr.Unauthorized("send a bearer token from POST /api/v1/tokens"))
		return
	}
	u, err := s.Store.UserByToken(c.Request.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		httperr.Respond(c, s.Logger, httperr.Unauthorized("the token is unknown or has expired; sign in again"))
		return
	}
	if err != nil {
		httperr.Respond(c, s.Logger, err)
		return
	}
	c.Set(userKey, u)
	c.Next()
}

func currentUser(c *gin.Context) store.User { return c.MustGet(userKey).(store.User) }

// UserOf is the person a bearer token named on this request, if any.
func UserOf(c *gin.Context) (store.User, bool) {
	u, ok := c.Get(userKey)
	if !ok {
		return store.User{}, false
	}
	return u.(store.User), true
}

// ActorOf is the person as the workflows know them.
func ActorOf(u store.User) workflows.Actor {
	return workflows.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, Organisations: u.Organisations}
}

// bind reads a JSON body into v, answering 400 for unreadable JSON and naming the field for type errors
// and for text that cannot be stored as sent (invalid UTF-8, found in the raw body since decoding
// replaces it, or a NUL).
func bind(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err == nil {
		err = binding.JSON.BindBody(raw, v)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return httperr.BadRequest("the request body is empty; send a JSON object")
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return &httperr.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the request body is too large"}
		}
		if f, reason, ok := jsonFieldError(err); ok {
			return httperr.Field(withoutEmbedded(reflect.TypeOf(v), f), reason)
		}
		if notObject(err) {
			return httperr.BadRequest("the request body must be a JSON object")
		}
		return httperr.BadRequest("the request body is not valid JSON: " + err.Error())
	}
	if f := notUTF8Field(raw, ""); f != "" {
		return httperr.Field(f, reasonNotUTF8)
	}
	return refuseBadText(v)
}

// pathID reads a numeric path parameter.
func pathID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, httperr.NotFound("no such " + name + " was")
	}
	return id, nil
}

// loadVisible reads an application the user may see; another organisation's is simply not found.
func (s *Server) loadVisible(c *gin.Context) (store.Application, store.User, error) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return store.Application{}, u, httperr.NotFound("application")
	}
	app, err := s.visible(c.Request.Context(), u, id)
	return app, u, err
}

func mayView(u store.User, app store.Application) bool {
	if u.Role == scheme.RoleApplicant {
		return u.MemberOf(app.OrganisationID)
	}
	return u.Role.IsStaff()
}

// requireRole answers 403 unless the user has one of the roles.
func requireRole(u store.User, roles ...scheme.Role) error {
	for _, r := range roles {
		if u.Role == r {
			return nil
		}
	}
	return httperr.Forbidden("your role (" + string(u.Role) + ") cannot do this")
}

func (s *Server) fail(c *gin.Context, err error) { httperr.Respond(c, s.Logger, err) }

func errWrongStage(msg string) error { return httperr.Conflict("wrong_stage", msg) }
