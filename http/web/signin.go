package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pquerna/otp"

	"grantflow/http/apiv1"
	"grantflow/internal/securitylog"
	"grantflow/scheme"
	"grantflow/store"
)

// Signing in on the pages: the e-mail and password, then for anyone with a second factor its code
// (/sign-in/code), or for staff without one its enrolment (/sign-in/enrol) followed by their
// recovery codes, shown once. Between the password and the code a person is only half signed in:
// a separate cookie (pendingCookieName) naming a store.PendingSignIn, which opens those two pages
// and nothing else. The session cookie is only set once the second factor is done.

const pendingCookieName = "grantflow-pending"

// signIn checks the e-mail address and password through the API's CheckPassword (throttled,
// shared with POST /api/v1/tokens), then sends the person on to their second factor.
func (s *Server) signIn(c *gin.Context) {
	f := readForm(c)
	show := func(status int) {
		s.render(c, status, "sign-in", page{Title: "Sign in", Nav: "sign-in", Form: f, Data: signInPage{Return: returnFrom(f.Raw(returnField))}})
	}
	email, password := f.Value("email"), f.Raw("password")
	switch {
	case email == "":
		f.add("email", "Enter your email address")
	case strings.ContainsRune(email, 0) || len(email) > 254:
		f.add("email", "Enter an email address like name@example.org")
	}
	if password == "" {
		f.add("password", "Enter your password")
	}
	if f.invalid() {
		show(http.StatusUnprocessableEntity)
		return
	}
	ctx := c.Request.Context()
	u, err := s.opts.API.CheckPassword(ctx, email, password, caller(c))
	if s.throttled(c, err, func(msg string) { f.add("email", msg); show(http.StatusTooManyRequests) }) {
		return
	}
	if errors.Is(err, store.ErrBadCredentials) {
		f.add("email", "Enter a correct email address and password")
		show(http.StatusUnauthorized)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	step, err := s.opts.API.SecondFactorStep(ctx, u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	back := returnPath(f.Raw(returnField), homeOf(u))
	if step == "" {
		if err := s.startSession(c, u); err != nil {
			s.serverError(c, err)
			return
		}
		if err := s.opts.API.SignedIn(ctx, u, caller(c)); err != nil {
			s.opts.Logger.WarnContext(ctx, "sign-in failures not cleared", "error", err)
		}
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	token, err := s.opts.Store.StartPendingSignIn(ctx, u.ID, back, s.now())
	if err != nil {
		s.serverError(c, err)
		return
	}
	// Whoever was signed in in this browser before is signed out: the next session is this person's.
	if err := s.endSession(c); err != nil {
		s.serverError(c, err)
		return
	}
	s.setCookie(c, pendingCookieName, token)
	if step == "enrol" {
		c.Redirect(http.StatusSeeOther, "/sign-in/enrol")
		return
	}
	c.Redirect(http.StatusSeeOther, "/sign-in/code")
}

// caller is this request as a sign-in's origin.
func caller(c *gin.Context) apiv1.Caller {
	return apiv1.Caller{Address: c.ClientIP(), Via: securitylog.ViaPage}
}

// throttled shows a throttled attempt's message (through show) with a Retry-After header, and
// reports whether err was one.
func (s *Server) throttled(c *gin.Context, err error, show func(msg string)) bool {
	var th *store.Throttled
	if !errors.As(err, &th) {
		return false
	}
	now := s.now()
	wait := th.RetryAfter(now)
	c.Header("Retry-After", strconv.Itoa(wait))
	what := "You have tried too many times."
	if th.Scope == "global" {
		what = "The service is receiving too many sign-in attempts just now."
	}
	show(fmt.Sprintf("%s Wait %s (until %s), then try again.", what, waitText(wait), th.RetryAt.In(scheme.London).Format("3:04:05pm")))
	return true
}

// waitText says a wait in seconds as a person would: "40 seconds", "3 minutes".
func waitText(secs int) string {
	if secs < 120 {
		return fmt.Sprintf("%d %s", secs, plural(secs, "second", "seconds"))
	}
	m := (secs + 59) / 60
	return fmt.Sprintf("%d %s", m, plural(m, "minute", "minutes"))
}

// pending reads the half sign-in, or sends the person back to the sign-in page saying it ended.
func (s *Server) pending(c *gin.Context) (store.PendingSignIn, string, bool) {
	token := s.cookie(c, pendingCookieName)
	if token == "" {
		c.Redirect(http.StatusSeeOther, "/sign-in")
		return store.PendingSignIn{}, "", false
	}
	p, err := s.opts.Store.PendingSignInOf(c.Request.Context(), token, s.now())
	if errors.Is(err, store.ErrPendingSignInEnd) {
		s.clearCookie(c, pendingCookieName)
		c.Redirect(http.StatusSeeOther, "/sign-in?expired=1")
		return p, "", false
	}
	if err != nil {
		s.serverError(c, err)
		return p, "", false
	}
	return p, token, true
}

// finishSignIn ends the half sign-in and starts the session.
func (s *Server) finishSignIn(c *gin.Context, token string, u store.User) error {
	if err := s.opts.Store.EndPendingSignIn(c.Request.Context(), token); err != nil {
		return err
	}
	s.clearCookie(c, pendingCookieName)
	return s.startSession(c, u)
}

// codePage is the second-factor page's data.
type codePage struct {
	Action string
}

func (s *Server) codeForm(c *gin.Context) {
	if _, _, ok := s.pending(c); !ok {
		return
	}
	s.render(c, http.StatusOK, "sign-in-code", page{Title: "Enter the code from your authenticator app", Nav: "sign-in", Data: codePage{Action: "/sign-in/code"}})
}

func (s *Server) code(c *gin.Context) {
	p, token, ok := s.pending(c)
	if !ok {
		return
	}
	f := readForm(c)
	show := func(status int) {
		s.render(c, status, "sign-in-code", page{Title: "Enter the code from your authenticator app", Nav: "sign-in", Form: f, Data: codePage{Action: "/sign-in/code"}})
	}
	code := f.Value("code")
	if code == "" {
		f.add("code", "Enter the 6-digit code from your authenticator app, or a recovery code")
	} else if len(code) > 40 || strings.ContainsRune(code, 0) {
		f.add("code", "Enter a code of 6 digits, or a recovery code like abcde-23456")
	}
	if f.invalid() {
		show(http.StatusUnprocessableEntity)
		return
	}
	ctx := c.Request.Context()
	err := s.opts.API.CheckCode(ctx, p.User, code, caller(c))
	if s.throttled(c, err, func(msg string) { f.add("code", msg); show(http.StatusTooManyRequests) }) {
		return
	}
	if errors.Is(err, store.ErrBadCode) {
		if err := s.opts.Store.FailPendingSignIn(ctx, token); err != nil {
			s.serverError(c, err)
			return
		}
		f.add("code", "The code is not right, or has been used already. Enter the code your app shows now")
		show(http.StatusUnauthorized)
		return
	}
	if err == nil {
		err = s.finishSignIn(c, token, p.User)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, returnPath(p.ReturnTo, homeOf(p.User)))
}

// enrolPage is what the set-up page shows: the QR code, the secret to type in instead, and where
// the form goes.
type enrolPage struct {
	QR       template.URL
	Secret   string
	Action   string
	Required bool // staff: they cannot go on without it
}

func enrolView(e store.Enrolment, action string, required bool) (enrolPage, error) {
	key, err := otp.NewKeyFromURL(e.URI)
	if err != nil {
		return enrolPage{}, err
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return enrolPage{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return enrolPage{}, err
	}
	// Grouped in fours, as authenticator apps show it, so it is easier to type.
	var groups []string
	for i := 0; i < len(e.Secret); i += 4 {
		groups = append(groups, e.Secret[i:min(i+4, len(e.Secret))])
	}
	return enrolPage{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())),
		Secret: strings.Join(groups, " "), Action: action, Required: required}, nil
}

// showEnrol shows the set-up page for u with the form posting to action.
func (s *Server) showEnrol(c *gin.Context, u store.User, f *form, status int, action string) {
	e, err := s.opts.Store.StartEnrolment(c.Request.Context(), u, s.now())
	if errors.Is(err, store.ErrHasSecondFactor) {
		c.Redirect(http.StatusSeeOther, "/account/second-factor")
		return
	}
	var view enrolPage
	if err == nil {
		view, err = enrolView(e, action, u.Role.IsStaff())
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, status, "second-factor-set-up", page{Title: "Set up your authenticator app", Nav: "sign-in", Form: f, Data: view})
}

func (s *Server) enrolForm(c *gin.Context) {
	p, _, ok := s.pending(c)
	if !ok {
		return
	}
	if sf, err := s.opts.Store.SecondFactorOf(c.Request.Context(), p.User); err == nil && sf.Enabled {
		c.Redirect(http.StatusSeeOther, "/sign-in/code")
		return
	}
	s.showEnrol(c, p.User, nil, http.StatusOK, "/sign-in/enrol")
}

// enrol confirms the set-up with a first code, signs the person in and shows their recovery codes once.
func (s *Server) enrol(c *gin.Context) {
	p, token, ok := s.pending(c)
	if !ok {
		return
	}
	f := readForm(c)
	codes, status := s.confirmEnrolment(c, p.User, f, func() error { return s.opts.Store.FailPendingSignIn(c.Request.Context(), token) })
	if codes == nil {
		if status != 0 {
			s.showEnrol(c, p.User, f, status, "/sign-in/enrol")
		}
		return
	}
	if err := s.finishSignIn(c, token, p.User); err != nil {
		s.serverError(c, err)
		return
	}
	if err := s.opts.API.SignedIn(c.Request.Context(), p.User, caller(c)); err != nil {
		s.opts.Logger.WarnContext(c.Request.Context(), "sign-in failures not cleared", "error", err)
	}
	s.showRecoveryCodes(c, codes, "Your authenticator app is set up", returnPath(p.ReturnTo, homeOf(p.User)))
}

// confirmEnrolment checks the set-up form's code. It returns the recovery codes, or nil and the
// status to show the form again with (0 when a page has been written already).
func (s *Server) confirmEnrolment(c *gin.Context, u store.User, f *form, onWrong func() error) ([]string, int) {
	code := strings.ReplaceAll(f.Value("code"), " ", "")
	switch {
	case code == "":
		f.add("code", "Enter the 6-digit code your authenticator app shows")
	case len(code) != 6 || strings.Trim(code, "0123456789") != "":
		f.add("code", "The code must be 6 digits, like 123456")
	}
	if f.invalid() {
		return nil, http.StatusUnprocessableEntity
	}
	codes, err := s.opts.Store.ConfirmEnrolment(c.Request.Context(), u, code, s.now())
	if errors.Is(err, store.ErrBadCode) {
		if err := onWrong(); err != nil {
			s.serverError(c, err)
			return nil, 0
		}
		f.add("code", "The code is not right. Check the app shows this service's account, then enter the code it shows now")
		return nil, http.StatusUnprocessableEntity
	}
	if errors.Is(err, store.ErrHasSecondFactor) {
		c.Redirect(http.StatusSeeOther, "/account/second-factor")
		return nil, 0
	}
	if err != nil {
		s.serverError(c, err)
		return nil, 0
	}
	return codes, 0
}

// recoveryCodesPage shows new recovery codes, once.
type recoveryCodesPage struct {
	Heading  string
	Codes    []string
	Continue string
}

func (s *Server) showRecoveryCodes(c *gin.Context, codes []string, heading, next string) {
	s.render(c, http.StatusOK, "recovery-codes", page{Title: heading, Data: recoveryCodesPage{Heading: heading, Codes: codes, Continue: next}})
}

// Throttle limits a kind of form ("registration", "password-reset", "second-factor"; see
// store.RequestLimits) per client address, with a page saying when to try again (429 and
// Retry-After). The API has its own (apiv1.Server.Throttle) answering JSON.
func (s *Server) Throttle(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		now := s.now()
		err := s.opts.Store.TakeRequest(c.Request.Context(), kind, c.ClientIP(), now)
		defer apiv1.RefundRefused(c, s.opts.Store, kind, now) // a form with mistakes uses up nothing
		if s.throttled(c, err, func(msg string) {
			s.render(c, http.StatusTooManyRequests, "error", page{Title: "Too many attempts", Data: errorPage{
				Heading: "Too many attempts from your network", Lines: []string{msg, "Nothing you sent has been saved."}}})
		}) {
			c.Abort()
			return
		}
		if err != nil {
			s.serverError(c, err)
			return
		}
		c.Next()
	}
}
