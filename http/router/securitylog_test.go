package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"grantflow/internal/demo"
)

// String is everything logged so far (requestlog_test.go's lines forgets what it reads).
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// events are the security events logged so far, in order: each line's "security" group with
// "level" and "request_id" from the line added.
func (b *syncBuffer) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		sec, ok := rec["security"].(map[string]any)
		if !ok {
			continue
		}
		if rec["msg"] != "security event" {
			t.Errorf("a security group under the message %q", rec["msg"])
		}
		sec["level"], sec["request_id"] = rec["level"], rec["request_id"]
		out = append(out, sec)
	}
	return out
}

// expect finds the last event named name and checks its fields (numbers as JSON gives them).
func expect(t *testing.T, log *syncBuffer, name string, want map[string]any) {
	t.Helper()
	events := log.events(t)
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e["event"] != name {
			continue
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("%s: %s = %v, want %v (%v)", name, k, e[k], v, e)
			}
		}
		if id, _ := e["request_id"].(string); id == "" {
			t.Errorf("%s: no request id (%v)", name, e)
		}
		return
	}
	t.Errorf("no %s event in the log:\n%s", name, log.String())
}

// Every security event the API causes, logged once each at its level, with ids, roles, routes and
// addresses, and nothing secret: no password, code, token, cookie or e-mail address.
func TestSecurityEventsFromTheAPI(t *testing.T) {
	log := &syncBuffer{}
	d := newDoorLogged(t, []string{"127.0.0.1"}, nil, slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo})))
	officer, admin := d.user("officer@opcc.example.org"), d.user("admin@opcc.example.org")
	applicant := d.user(demo.Accounts[0].Email)
	secrets := []string{demo.Password, "Guess-Secret-1", "nobody.here@example.org", "officer@opcc.example.org", demo.Accounts[0].Email, "admin@opcc.example.org", "bogus-token-value"}

	if a := d.token("203.0.113.5", "officer@opcc.example.org", "Guess-Secret-1", nil); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", a.status)
	}
	expect(t, log, "sign_in_failed", map[string]any{"level": "WARN", "user_id": float64(officer), "role": "officer", "known_account": true,
		"via": "api_token", "client": "203.0.113.5", "reason": "bad_credentials"})
	d.token("203.0.113.5", "nobody.here@example.org", "Guess-Secret-1", nil)
	expect(t, log, "sign_in_failed", map[string]any{"known_account": false, "user_id": nil})

	code := d.code()
	wrong := "999999"
	if wrong == code {
		wrong = "888888"
	}
	secrets = append(secrets, code, wrong)
	if a := d.token("203.0.113.6", "officer@opcc.example.org", demo.Password, map[string]any{"otp": wrong}); a.status != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", a.status)
	}
	expect(t, log, "second_factor_failed", map[string]any{"level": "WARN", "user_id": float64(officer), "via": "api_token", "client": "203.0.113.6"})

	tokens := map[string]string{}
	for email, id := range map[string]int64{"officer@opcc.example.org": officer, "admin@opcc.example.org": admin, demo.Accounts[0].Email: applicant} {
		extra := map[string]any{"otp": d.code()}
		if id == applicant {
			extra = nil
		}
		a := d.token("198.51.100.7", email, demo.Password, extra)
		if a.status != http.StatusCreated {
			t.Fatalf("sign in %s: %d %v", email, a.status, a.body)
		}
		tokens[email] = a.body["token"].(string)
		secrets = append(secrets, tokens[email])
		expect(t, log, "sign_in", map[string]any{"level": "INFO", "user_id": float64(id), "via": "api_token", "client": "198.51.100.7"})
	}

	if status := d.send(http.MethodGet, "/api/v1/me", "bogus-token-value", nil); status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", status)
	}
	expect(t, log, "refused_401", map[string]any{"level": "INFO", "route": "/api/v1/me", "method": "GET", "user_id": nil})
	if status := d.send(http.MethodGet, "/api/v1/admin/audit", tokens[demo.Accounts[0].Email], nil); status != http.StatusForbidden {
		t.Fatalf("applicant reads the audit trail: %d", status)
	}
	expect(t, log, "refused_403", map[string]any{"level": "WARN", "route": "/api/v1/admin/audit", "user_id": float64(applicant), "role": "applicant", "via": "api_token"})

	target := d.user("officer2@opcc.example.org")
	path := "/api/v1/admin/users/" + strconv.FormatInt(target, 10)
	if status := d.send(http.MethodPatch, path, tokens["admin@opcc.example.org"], map[string]any{"role": "assessor", "reason": "Moved to assessing"}); status != http.StatusOK {
		t.Fatalf("change role: %d", status)
	}
	expect(t, log, "role_changed", map[string]any{"level": "WARN", "actor_id": float64(admin), "target_user_id": float64(target), "role_before": "officer", "role_after": "assessor"})
	if status := d.send(http.MethodPost, path+"/disable", tokens["admin@opcc.example.org"], map[string]any{"reason": "Left"}); status != http.StatusOK {
		t.Fatalf("disable: %d", status)
	}
	expect(t, log, "account_disabled", map[string]any{"level": "WARN", "actor_id": float64(admin), "target_user_id": float64(target)})
	if status := d.send(http.MethodPost, path+"/enable", tokens["admin@opcc.example.org"], map[string]any{}); status != http.StatusOK {
		t.Fatalf("enable: %d", status)
	}
	expect(t, log, "account_enabled", map[string]any{"level": "INFO", "actor_id": float64(admin), "target_user_id": float64(target)})
	if status := d.send(http.MethodPost, "/api/v1/admin/users", tokens["admin@opcc.example.org"],
		map[string]any{"email": "new.assessor@opcc.example.org", "name": "Nat Newcomer", "role": "assessor"}); status != http.StatusCreated {
		t.Fatalf("invite: %d", status)
	}
	secrets = append(secrets, "new.assessor@opcc.example.org")
	expect(t, log, "staff_added", map[string]any{"level": "INFO", "actor_id": float64(admin), "role": "assessor"})

	if status := d.send(http.MethodPost, "/api/v1/admin/users/"+strconv.FormatInt(officer, 10)+"/second-factor-reset", tokens["admin@opcc.example.org"],
		map[string]any{"reason": "Lost their phone"}); status != http.StatusOK {
		t.Fatalf("reset a second factor: %d", status)
	}
	expect(t, log, "second_factor_reset", map[string]any{"level": "WARN", "actor_id": float64(admin), "target_user_id": float64(officer)})

	applicantToken := tokens[demo.Accounts[0].Email]
	secrets = append(secrets, "Another-Secret-22")
	if status := d.send(http.MethodPut, "/api/v1/me/password", applicantToken, map[string]any{"current_password": "Guess-Secret-1", "new_password": "Another-Secret-22"}); status != http.StatusUnprocessableEntity {
		t.Fatalf("change password with the wrong current one: %d", status)
	}
	expect(t, log, "password_change_failed", map[string]any{"level": "WARN", "user_id": float64(applicant), "reason": "wrong_current_password"})
	if status := d.send(http.MethodPut, "/api/v1/me/password", applicantToken, map[string]any{"current_password": demo.Password, "new_password": "Another-Secret-22"}); status != http.StatusOK {
		t.Fatalf("change password: %d", status)
	}
	expect(t, log, "password_changed", map[string]any{"level": "INFO", "user_id": float64(applicant), "role": "applicant"})

	// The pair's delay: three free failures, then refused before the password is looked at.
	for range 4 {
		d.token("203.0.113.9", demo.Accounts[0].Email, "Guess-Secret-1", nil)
	}
	expect(t, log, "sign_in_throttled", map[string]any{"level": "WARN", "reason": "password:pair", "client": "203.0.113.9", "via": "api_token"})

	// A failed sign-in is one event, not a sign_in_failed and a refused_401 too.
	failed, refused := 0, 0
	for _, e := range log.events(t) {
		switch e["event"] {
		case "sign_in_failed":
			failed++
		case "refused_401":
			refused++
		}
	}
	if failed != 5 || refused != 1 {
		t.Errorf("%d sign_in_failed and %d refused_401 events; want 5 and 1 (the bad token)", failed, refused)
	}
	noSecrets(t, log, secrets)
}

// Signing in and out on the pages, and a form refused for its missing token.
func TestSecurityEventsFromThePages(t *testing.T) {
	log := &syncBuffer{}
	d := newDoorLogged(t, []string{"127.0.0.1"}, nil, slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo})))
	applicant := d.user(demo.Accounts[0].Email)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	form := func(path string, fields url.Values) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, d.url+path, strings.NewReader(fields.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "192.0.2.44")
		res, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	page := func(path string) string {
		t.Helper()
		res, err := browser.Get(d.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	m := csrf.FindStringSubmatch(page("/sign-in"))
	if m == nil {
		t.Fatal("no form token on the sign-in page")
	}
	if status, _ := form("/sign-in", url.Values{"csrf_token": {m[1]}, "email": {demo.Accounts[0].Email}, "password": {demo.Password}}); status != http.StatusOK {
		t.Fatalf("sign in on the page: %d", status)
	}
	expect(t, log, "sign_in", map[string]any{"user_id": float64(applicant), "role": "applicant", "via": "page", "client": "192.0.2.44"})

	if status, _ := form("/sign-out", url.Values{}); status != http.StatusForbidden {
		t.Fatalf("a form without its token: %d", status)
	}
	expect(t, log, "refused_403", map[string]any{"route": "/sign-out", "method": "POST", "user_id": float64(applicant), "via": "page"})

	m = csrf.FindStringSubmatch(page("/sign-out"))
	if m == nil {
		t.Fatal("no form token on the sign-out page")
	}
	if status, _ := form("/sign-out", url.Values{"csrf_token": {m[1]}}); status != http.StatusOK {
		t.Fatalf("sign out: %d", status)
	}
	expect(t, log, "sign_out", map[string]any{"level": "INFO", "user_id": float64(applicant), "via": "page", "client": "192.0.2.44"})

	var cookies []string
	u, _ := url.Parse(d.url)
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.Value)
	}
	noSecrets(t, log, append(cookies, demo.Password, demo.Accounts[0].Email, m[1]))
}

func (d *door) user(email string) int64 {
	d.t.Helper()
	u, err := d.st.UserByEmail(context.Background(), email)
	if err != nil {
		d.t.Fatal(err)
	}
	return u.ID
}

// send makes a request with a bearer token and a JSON body (nil: none), answering the status.
func (d *door) send(method, path, token string, body any) int {
	d.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, d.url+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 && res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
		d.t.Logf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

func noSecrets(t *testing.T, log *syncBuffer, secrets []string) {
	t.Helper()
	all := log.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("the log holds a secret or an e-mail address: %q", s)
		}
	}
}
