package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"grantflow/http/router"
	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// door is the router over a real server on a demo-seeded database, without Temporal (signing in
// needs none).
type door struct {
	t       *testing.T
	st      *store.Store
	url     string
	totpOff atomic.Int64
}

func newDoor(t *testing.T, trusted []string) *door { return newDoorAt(t, trusted, nil) }

// newDoorAt is newDoor with the front door's clock given (nil: the real one).
func newDoorAt(t *testing.T, trusted []string, clock func() time.Time) *door {
	t.Helper()
	return newDoorLogged(t, trusted, clock, slog.New(slog.DiscardHandler))
}

// newDoorLogged is newDoorAt logging to logger.
func newDoorLogged(t *testing.T, trusted []string, clock func() time.Time, logger *slog.Logger) *door {
	t.Helper()
	st := storetest.New(t)
	if err := demo.Seed(context.Background(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := &door{t: t, st: st}
	st.SecondFactorClock = func() time.Time { return time.Now().Add(time.Duration(d.totpOff.Load())) }
	srv := httptest.NewServer(router.New(router.Deps{Store: st, Logger: logger, TokenTTL: time.Hour, TrustedProxies: trusted, Clock: clock}))
	t.Cleanup(srv.Close)
	d.url = srv.URL
	return d
}

// stoppedClock is a front-door clock that stays at the moment it was made, so a throttle's
// Retry-After is the whole wait however long the machine takes between two attempts.
func stoppedClock() func() time.Time {
	at := time.Now()
	return func() time.Time { return at }
}

// code is the demo staff's code for a fresh 30-second step.
func (d *door) code() string {
	c, err := store.TOTPCode(demo.TOTPSecret, time.Now().Add(time.Duration(d.totpOff.Add(int64(30*time.Second)))))
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

type answer struct {
	status     int
	retryAfter int
	body       map[string]any
}

func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a answer) field(name string) string {
	e, _ := a.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	v, _ := f[name].(string)
	return v
}

// post sends a JSON body from the address (as X-Forwarded-For; "" sends none).
func (d *door) post(path, from string, body any) answer {
	d.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, d.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	out := answer{status: res.StatusCode}
	out.retryAfter, _ = strconv.Atoi(res.Header.Get("Retry-After"))
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &out.body)
	if res.StatusCode >= 500 {
		d.t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	return out
}

func (d *door) token(from, email, password string, extra map[string]any) answer {
	body := map[string]any{"email": email, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	return d.post("/api/v1/tokens", from, body)
}

// An attacker hammering an officer's account from one address: after three failures each attempt
// waits, the waits double, and refused attempts are not even checked. The officer, from their own
// address, signs in at once with their password and code: an attacker cannot lock anyone out.
// (Behind a trusted proxy, so X-Forwarded-For gives each its address.)
func TestAttackerCannotLockTheOwnerOut(t *testing.T) {
	d := newDoorAt(t, []string{"127.0.0.1"}, stoppedClock()) // the waits, not how fast a loaded machine answers
	victim := "officer@opcc.example.org"
	var waits []int
	for range 30 {
		a := d.token("203.0.113.66", victim, "guess", nil)
		switch a.status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			if a.code() != "too_many_attempts" || a.retryAfter < 1 {
				t.Fatalf("a throttled attempt: %+v", a)
			}
			waits = append(waits, a.retryAfter)
		default:
			t.Fatalf("attempt: %d %v", a.status, a.body)
		}
	}
	if len(waits) != 27 || waits[0] != 2 {
		t.Fatalf("waits %v: want 27 refusals after 3 failures, the first 2 seconds", waits)
	}
	// The right password and code from the attacker's address still waits (the pair's delay)...
	if a := d.token("203.0.113.66", victim, demo.Password, map[string]any{"otp": d.code()}); a.status != http.StatusTooManyRequests {
		t.Fatalf("from the attacker's address: %d", a.status)
	}
	// ...but from the officer's own address it works at once, and clears the account's count.
	if a := d.token("198.51.100.7", victim, demo.Password, map[string]any{"otp": d.code()}); a.status != http.StatusCreated {
		t.Fatalf("the owner from their own address: %d %v", a.status, a.body)
	}
}

// X-Forwarded-For is believed only from a trusted proxy: with none configured, every request here
// comes from 127.0.0.1 whatever it claims, so a guesser cannot dodge the delay by making addresses up.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	d := newDoorAt(t, nil, stoppedClock())
	email := demo.Accounts[0].Email
	for i := range 3 {
		if a := d.token(fmt.Sprintf("192.0.2.%d", i), email, "guess", nil); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	a := d.token("192.0.2.200", email, demo.Password, nil)
	if a.status != http.StatusTooManyRequests || a.retryAfter != 2 {
		t.Fatalf("a made-up address was believed: %d, Retry-After %d", a.status, a.retryAfter)
	}
	// Behind a trusted proxy the same made-up addresses are different people.
	trusted := newDoor(t, []string{"127.0.0.1"})
	for i := range 3 {
		trusted.token(fmt.Sprintf("192.0.2.%d", i), email, "guess", nil)
	}
	if a := trusted.token("192.0.2.200", email, demo.Password, nil); a.status != http.StatusCreated {
		t.Fatalf("behind a trusted proxy: %d %v", a.status, a.body)
	}
}

// The global cap: at most so many sign-in attempts a minute across every account and address.
func TestGlobalSignInCap(t *testing.T) {
	// The cap counts per clock minute: every attempt at one moment mid-minute, so that a real minute
	// turning over during the test cannot open a new window.
	at := time.Now().Truncate(time.Minute).Add(30 * time.Second)
	d := newDoorAt(t, []string{"127.0.0.1"}, func() time.Time { return at })
	p := store.DefaultSignInPolicy
	p.GlobalPerMinute = 4
	d.st.SignInPolicy = &p
	for i := range 4 {
		if a := d.token(fmt.Sprintf("10.1.0.%d", i), fmt.Sprintf("nobody%d@example.org", i), "guess", nil); a.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, a.status)
		}
	}
	a := d.token("10.1.0.99", demo.Accounts[0].Email, demo.Password, nil)
	if a.status != http.StatusTooManyRequests || a.retryAfter < 1 || a.retryAfter > 30 {
		t.Fatalf("over the cap: %d, Retry-After %d; want 429 until the minute turns, 30 s on", a.status, a.retryAfter)
	}
}

// Registration is throttled per address; refusals for mistakes do not use the limit up.
func TestRegistrationThrottle(t *testing.T) {
	d := newDoor(t, []string{"127.0.0.1"})
	for range 40 {
		if a := d.post("/api/v1/registrations", "203.0.113.9", map[string]any{}); a.status != http.StatusUnprocessableEntity {
			t.Fatalf("an empty registration: %d", a.status)
		}
	}
	reg := func(i int, from string) answer {
		return d.post("/api/v1/registrations", from, map[string]any{
			"organisation": map[string]any{"name": "Group", "type": scheme.OrgCommunityGroup, "address": "1 Road", "postcode": "LE1 1AA"},
			"user":         map[string]any{"name": "Sam", "email": fmt.Sprintf("sam%d@example.org", i), "password": "correct horse battery"}})
	}
	limit := store.RequestLimits["registration"].Max
	for i := range limit {
		if a := reg(i, "203.0.113.9"); a.status != http.StatusCreated {
			t.Fatalf("registration %d: %d %v", i+1, a.status, a.body)
		}
	}
	a := reg(limit, "203.0.113.9")
	if a.status != http.StatusTooManyRequests || a.retryAfter < 1 || a.retryAfter > 3600 {
		t.Fatalf("over the limit: %d, Retry-After %d", a.status, a.retryAfter)
	}
	if a := reg(limit+1, "198.51.100.9"); a.status != http.StatusCreated {
		t.Fatalf("another address: %d", a.status)
	}
}

// Tokens for an account with a second factor: the code is required, checked, accepted once; a
// recovery code works once; staff without one are told to set it up on the website.
func TestTokenNeedsTheSecondFactor(t *testing.T) {
	d := newDoor(t, nil)
	officer := "officer@opcc.example.org"
	a := d.token("", officer, demo.Password, nil)
	if a.status != http.StatusUnauthorized || a.code() != "second_factor_required" || a.field("otp") == "" {
		t.Fatalf("no code: %d %v", a.status, a.body)
	}
	if a := d.token("", officer, demo.Password, map[string]any{"otp": "000000"}); a.status != http.StatusUnauthorized || a.field("otp") != "is wrong or has been used already" {
		t.Fatalf("a wrong code: %d %v", a.status, a.body)
	}
	code := d.code()
	if a := d.token("", officer, demo.Password, map[string]any{"otp": code}); a.status != http.StatusCreated {
		t.Fatalf("the right code: %d %v", a.status, a.body)
	}
	if a := d.token("", officer, demo.Password, map[string]any{"otp": code}); a.status != http.StatusUnauthorized || a.field("otp") == "" {
		t.Fatalf("the same code again: %d %v", a.status, a.body)
	}
	// A wrong password with a right code is still a wrong password.
	if a := d.token("", officer, "guess", map[string]any{"otp": d.code()}); a.status != http.StatusUnauthorized || a.code() != "unauthorized" || a.field("otp") != "" {
		t.Fatalf("a wrong password: %d %v", a.status, a.body)
	}
	// Recovery codes, once each.
	u, _ := d.st.UserByEmail(context.Background(), officer)
	codes, err := d.st.RegenerateRecoveryCodes(context.Background(), u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a := d.token("", officer, demo.Password, map[string]any{"recovery_code": codes[3]}); a.status != http.StatusCreated {
		t.Fatalf("a recovery code: %d %v", a.status, a.body)
	}
	if a := d.token("", officer, demo.Password, map[string]any{"recovery_code": codes[3]}); a.status != http.StatusUnauthorized || a.field("recovery_code") == "" {
		t.Fatalf("a used recovery code: %d %v", a.status, a.body)
	}
	// Staff without a second factor (a new account from `grantflow users add`) are sent to the website.
	if _, err := d.st.CreateUser(context.Background(), store.NewUser{Email: "new@opcc.example.org", Name: "New Officer", Role: scheme.RoleOfficer, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if a := d.token("", "new@opcc.example.org", "correct horse battery", nil); a.status != http.StatusForbidden || a.code() != "second_factor_required" {
		t.Fatalf("staff without a second factor: %d %v", a.status, a.body)
	}
	// An applicant without one needs no code.
	if a := d.token("", demo.Accounts[0].Email, demo.Password, nil); a.status != http.StatusCreated {
		t.Fatalf("an applicant: %d %v", a.status, a.body)
	}
}
