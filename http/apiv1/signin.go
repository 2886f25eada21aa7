package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/internal/securitylog"
	"grantflow/store"
)

// Signing in, for both front doors: the password (CheckPassword), then for anyone with a second
// factor its code (CheckCode). Every attempt is throttled first (store.BeginSignIn: growing delays
// per account, address and both, and a global cap); the client address is gin's ClientIP, which
// believes X-Forwarded-For only from the trusted proxies the router was given (TRUSTED_PROXIES).

// ErrSecondFactorRequired refuses staff who have not set a second factor up yet, on the API: they
// must sign in on the website once, where enrolment follows the password.
var ErrSecondFactorRequired = &httperr.Error{Status: http.StatusForbidden, Code: "second_factor_required",
	Message: "staff sign in with a second factor, which you have not set up yet: sign in on the website once to set up an authenticator app, then send its code here as otp"}

// TooMany is the 429 for a throttled attempt, with the seconds to wait.
func TooMany(wait int, what string) *httperr.Error {
	return &httperr.Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Message: fmt.Sprintf("too many %s; try again in %d seconds", what, wait)}
}

// Caller is where a sign-in attempt comes from: the client address (gin's ClientIP) and the front
// door (securitylog.ViaAPI or ViaPage), for the throttle and the security log.
type Caller struct {
	Address string
	Via     string
}

// CheckPassword throttles, then checks an e-mail and password. Its errors: *store.Throttled,
// store.ErrBadCredentials, or a failure of ours. Right, it undoes its own count; the caller then
// asks for the second factor (SecondFactorStep) or finishes with SignedIn. A refusal is logged as
// a security event naming the account by id when the e-mail is one's, never by the e-mail.
func (s *Server) CheckPassword(ctx context.Context, email, password string, from Caller) (store.User, error) {
	if err := s.Store.BeginSignIn(ctx, store.SignInAttempt{Email: email, Address: from.Address}, s.now()); err != nil {
		s.logThrottled(ctx, err, from, "password")
		return store.User{}, err
	}
	u, err := s.Store.Authenticate(ctx, email, password)
	if errors.Is(err, store.ErrBadCredentials) {
		attrs := []securitylog.Attr{securitylog.Via(from.Via), securitylog.Client(from.Address), securitylog.Reason("bad_credentials")}
		// The e-mail given is personal data and may be a password typed in the wrong box, so it
		// is not logged, nor its hash (a dictionary reverses an unkeyed one): the account's id is.
		if known, lookupErr := s.Store.UserByEmail(ctx, email); lookupErr == nil {
			attrs = append(attrs, securitylog.KnownAccount(true), securitylog.User(known.ID, string(known.Role)))
		} else {
			attrs = append(attrs, securitylog.KnownAccount(false))
		}
		securitylog.Log(ctx, s.Logger, securitylog.SignInFailed, attrs...)
	}
	if err != nil {
		return u, err
	}
	return u, s.Store.SignInStepPassed(ctx, store.SignInAttempt{Email: email, Address: from.Address}, false)
}

// logThrottled logs a sign-in step refused by the throttle (err a *store.Throttled), with its scope.
func (s *Server) logThrottled(ctx context.Context, err error, from Caller, step string, who ...securitylog.Attr) {
	var th *store.Throttled
	if !errors.As(err, &th) {
		return
	}
	attrs := append([]securitylog.Attr{securitylog.Via(from.Via), securitylog.Client(from.Address), securitylog.Reason(step + ":" + th.Scope),
		securitylog.RetryAfter(th.RetryAfter(s.now()))}, who...)
	securitylog.Log(ctx, s.Logger, securitylog.Throttled, attrs...)
}

// LogSignIn records that u is now signed in (a token issued, or a session started).
func (s *Server) LogSignIn(ctx context.Context, u store.User, from Caller) {
	securitylog.Log(ctx, s.Logger, securitylog.SignIn, securitylog.User(u.ID, string(u.Role)), securitylog.Via(from.Via), securitylog.Client(from.Address))
}

// SecondFactorStep says what must follow a right password: "code" (the person has a second factor),
// "enrol" (staff without one: they must set one up) or "" (an applicant without one: signed in).
func (s *Server) SecondFactorStep(ctx context.Context, u store.User) (string, error) {
	sf, err := s.Store.SecondFactorOf(ctx, u)
	switch {
	case err != nil:
		return "", err
	case sf.Enabled:
		return "code", nil
	case sf.Required:
		return "enrol", nil
	}
	return "", nil
}

// CheckCode throttles, then checks a TOTP or recovery code for someone whose password was right.
// Its errors: *store.Throttled, store.ErrBadCode, or a failure of ours. Right, the person is signed
// in: the account's failures are cleared.
func (s *Server) CheckCode(ctx context.Context, u store.User, code string, from Caller) error {
	a := store.SignInAttempt{Email: u.Email, Address: from.Address}
	if err := s.Store.BeginSignIn(ctx, a, s.now()); err != nil {
		s.logThrottled(ctx, err, from, "code", securitylog.User(u.ID, string(u.Role)))
		return err
	}
	if err := s.Store.CheckSecondFactor(ctx, u.ID, code); err != nil {
		if errors.Is(err, store.ErrBadCode) {
			securitylog.Log(ctx, s.Logger, securitylog.SecondFactorFailed, securitylog.User(u.ID, string(u.Role)),
				securitylog.Via(from.Via), securitylog.Client(from.Address))
		}
		return err
	}
	return s.Store.SignInStepPassed(ctx, a, true)
}

// SignedIn clears the account's failures once someone is fully signed in (an applicant without a
// second factor after the password; anyone after enrolling).
func (s *Server) SignedIn(ctx context.Context, u store.User, from Caller) error {
	return s.Store.SignInStepPassed(ctx, store.SignInAttempt{Email: u.Email, Address: from.Address}, true)
}

// Throttle limits a kind of request ("registration", "password-reset"; see store.RequestLimits)
// per client address, answering the API's 429 with Retry-After. A request refused for its own
// content (400, 413, 422) is given back, so only requests that do something use up the limit.
// The pages have their own (web.Server.Throttle) with a page instead of JSON.
func (s *Server) Throttle(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		now := s.now()
		err := s.Store.TakeRequest(c.Request.Context(), kind, c.ClientIP(), now)
		defer refundRefused(c, s.Store, kind, now)
		var th *store.Throttled
		if errors.As(err, &th) {
			wait := th.RetryAfter(now)
			c.Header("Retry-After", strconv.Itoa(wait))
			s.fail(c, TooMany(wait, kind+" requests from your address"))
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Next()
	}
}

type tokenRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	OTP          string `json:"otp"`
	RecoveryCode string `json:"recovery_code"`
}

// issueToken exchanges an e-mail and password, and for anyone with a second factor a current code
// (otp) or a recovery code, for a bearer token.
func (s *Server) issueToken(c *gin.Context) {
	var req tokenRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	p := problems{}
	p.required("email", req.Email)
	p.required("password", req.Password)
	p.maxLen("otp", req.OTP, 20)
	p.maxLen("recovery_code", req.RecoveryCode, 40)
	if err := p.err(); err != nil {
		s.fail(c, err)
		return
	}
	ctx, now := c.Request.Context(), s.now()
	from := Caller{Address: c.ClientIP(), Via: securitylog.ViaAPI}
	throttled := func(err error) bool {
		var th *store.Throttled
		if !errors.As(err, &th) {
			return false
		}
		wait := th.RetryAfter(now)
		c.Header("Retry-After", strconv.Itoa(wait))
		s.fail(c, TooMany(wait, "sign-in attempts"))
		return true
	}
	u, err := s.CheckPassword(ctx, req.Email, req.Password, from)
	if throttled(err) {
		return
	}
	if errors.Is(err, store.ErrBadCredentials) {
		s.fail(c, httperr.Unauthorized(err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	step, err := s.SecondFactorStep(ctx, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch step {
	case "enrol":
		s.fail(c, ErrSecondFactorRequired)
		return
	case "code":
		field, code := "otp", req.OTP
		if code == "" && req.RecoveryCode != "" {
			field, code = "recovery_code", req.RecoveryCode
		}
		if code == "" {
			s.fail(c, &httperr.Error{Status: http.StatusUnauthorized, Code: "second_factor_required",
				Message: "this account has a second factor: send otp, the 6-digit code from your authenticator app (or recovery_code)",
				Fields:  map[string]string{"otp": "is required: the 6-digit code from your authenticator app, or send a recovery_code"}})
			return
		}
		err := s.CheckCode(ctx, u, code, from)
		if throttled(err) {
			return
		}
		if errors.Is(err, store.ErrBadCode) {
			s.fail(c, &httperr.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: field + ": the code is wrong or has been used already",
				Fields: map[string]string{field: "is wrong or has been used already"}})
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
	default:
		if err := s.SignedIn(ctx, u, from); err != nil {
			s.fail(c, err)
			return
		}
	}
	token, expires, err := s.Store.IssueToken(ctx, u.ID, s.TokenTTL)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.LogSignIn(ctx, u, from)
	c.JSON(http.StatusCreated, gin.H{"token": token, "token_type": "Bearer", "expires_at": expires, "user": u})
}

// refundRefused gives back a throttled request that was refused for its own content.
func refundRefused(c *gin.Context, st *store.Store, kind string, now time.Time) {
	switch c.Writer.Status() {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		_ = st.RefundRequest(c.Request.Context(), kind, c.ClientIP(), now)
	}
}

// RefundRefused is refundRefused for the pages' throttle.
func RefundRefused(c *gin.Context, st *store.Store, kind string, now time.Time) {
	refundRefused(c, st, kind, now)
}
