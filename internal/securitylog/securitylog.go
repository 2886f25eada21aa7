// Package securitylog writes security events (sign-ins, failures, throttling, refusals, sign-outs,
// accounts disabled and enabled, roles changed, staff added) as one log line each, in one shape:
// the message "security event" and a "security" group holding the event's name and what it
// concerns. Every attribute is an id, a role, an address, a route or a reason; never a password,
// code, token, cookie, session id or e-mail address (Log takes only the attributes below).
package securitylog

import (
	"context"
	"log/slog"
	"sync/atomic"

	"grantflow/internal/requestid"
)

// Event is a kind of security event with its level: what people do as expected is info, what an
// attacker (or a forgetful person) causes is warn.
type Event struct {
	Name  string
	Level slog.Level
}

var (
	SignIn             = Event{"sign_in", slog.LevelInfo}
	SignInFailed       = Event{"sign_in_failed", slog.LevelWarn}
	SecondFactorFailed = Event{"second_factor_failed", slog.LevelWarn}
	Throttled          = Event{"sign_in_throttled", slog.LevelWarn}
	Unauthenticated    = Event{"refused_401", slog.LevelInfo} // mostly expired tokens and sessions
	Forbidden          = Event{"refused_403", slog.LevelWarn}
	SignOut            = Event{"sign_out", slog.LevelInfo}
	AccountDisabled    = Event{"account_disabled", slog.LevelWarn}
	AccountEnabled     = Event{"account_enabled", slog.LevelInfo}
	RoleChanged        = Event{"role_changed", slog.LevelWarn}
	StaffAdded         = Event{"staff_added", slog.LevelInfo}
	SecondFactorReset  = Event{"second_factor_reset", slog.LevelWarn}
	// A changed or reset password ends the person's other sessions and tokens.
	PasswordChanged      = Event{"password_changed", slog.LevelInfo}
	PasswordChangeFailed = Event{"password_change_failed", slog.LevelWarn}
	PasswordReset        = Event{"password_reset", slog.LevelInfo}
)

// How someone signed in or acted: Via's values.
const (
	ViaAPI     = "api_token" // POST /api/v1/tokens, or a request with a bearer token
	ViaPage    = "page"      // the sign-in pages, or a request with a session cookie
	ViaCommand = "command"   // the grantflow command line
)

// Attr is one fact about an event. Only the constructors below make them, so nothing secret can
// be logged by mistake.
type Attr struct{ a []slog.Attr }

func attr(a ...slog.Attr) Attr { return Attr{a} }

// User is the account the event is about (the signed-in person, or the one signing in).
func User(id int64, role string) Attr {
	return attr(slog.Int64("user_id", id), slog.String("role", role))
}

// Actor is who did an administrative act (0 for the command line).
func Actor(id int64) Attr { return attr(slog.Int64("actor_id", id)) }

// Target is the account an administrative act changed.
func Target(id int64) Attr { return attr(slog.Int64("target_user_id", id)) }

// Via is how: ViaAPI, ViaPage or ViaCommand.
func Via(how string) Attr { return attr(slog.String("via", how)) }

// Client is the client's address (gin's ClientIP: X-Forwarded-For from trusted proxies only).
func Client(address string) Attr { return attr(slog.String("client", address)) }

// Route is the route matched (its pattern, never the path with its ids or the query) and method.
func Route(method, pattern string) Attr {
	return attr(slog.String("method", method), slog.String("route", pattern))
}

// Reason says why, in a word or two of ours ("bad_credentials", "account", "global").
func Reason(why string) Attr { return attr(slog.String("reason", why)) }

// KnownAccount says whether a failed sign-in named an existing account.
func KnownAccount(known bool) Attr { return attr(slog.Bool("known_account", known)) }

// RetryAfter is a throttle's wait in seconds.
func RetryAfter(seconds int) Attr { return attr(slog.Int("retry_after_s", seconds)) }

// Roles is a role change's before and after.
func Roles(before, after string) Attr {
	return attr(slog.String("role_before", before), slog.String("role_after", after))
}

// Role is the role an account was given.
func Role(role string) Attr { return attr(slog.String("role", role)) }

// Log writes the event with its attributes and the request's id, if any, and marks the request
// (see Track) as having logged one.
func Log(ctx context.Context, logger *slog.Logger, e Event, attrs ...Attr) {
	if logger == nil {
		return
	}
	group := []any{slog.String("event", e.Name)}
	for _, a := range attrs {
		for _, x := range a.a {
			group = append(group, x)
		}
	}
	line := []slog.Attr{slog.Group("security", group...)}
	if id := requestid.From(ctx); id != "" {
		line = append(line, slog.String(requestid.LogKey, id))
	}
	logger.LogAttrs(ctx, e.Level, "security event", line...)
	if m, ok := ctx.Value(markKey{}).(*atomic.Bool); ok {
		m.Store(true)
	}
}

type markKey struct{}

// Track returns a context that remembers whether a security event was logged under it, and the
// question to ask afterwards: the router logs a 401 or 403 only when the handler has not already
// said why (a failed sign-in is one event, not two).
func Track(ctx context.Context) (context.Context, func() bool) {
	m := new(atomic.Bool)
	return context.WithValue(ctx, markKey{}, m), m.Load
}
