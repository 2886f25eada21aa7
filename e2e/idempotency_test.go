package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// doKeyed sends a JSON request with an Idempotency-Key, checked as every API call is (system.send).
func (s *system) doKeyed(t testing.TB, method, path, token, key string, body any) response {
	t.Helper()
	sent, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(sent))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	return s.send(t, req, sent)
}

// A client that loses the answer to POST /applications sends it again with the same key and gets
// the same answer, and there is one draft; at once, many copies make one draft; another body with
// the key, or a bad key, is refused naming the header.
func TestIdempotencyKeyMakesADraftOnce(t *testing.T) {
	s := newSystem(t)
	applicant := s.signIn(t, webApplicant, demo.Password)
	schemeID, roundID := s.grassrootsRound(t, applicant)
	draft := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Keyed youth club"}
	drafts := func(title string) int {
		var n int
		if err := s.Store.DB.Get(&n, `SELECT count(*) FROM applications WHERE title = $1`, title); err != nil {
			t.Fatal(err)
		}
		return n
	}

	first := s.doKeyed(t, "POST", "/api/v1/applications", applicant, "draft-key-1", draft) // the answer is "lost"
	again := s.doKeyed(t, "POST", "/api/v1/applications", applicant, "draft-key-1", draft)
	header := again.Header
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || !bytes.Equal(first.Raw, again.Raw) {
		t.Fatalf("first %d %s, repeat %d %s: want the same 201 twice", first.Status, first.Raw, again.Status, again.Raw)
	}
	if header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the repeat is not marked Idempotent-Replayed: %v", header)
	}
	if n := drafts("Keyed youth club"); n != 1 {
		t.Fatalf("%d drafts after a repeat with the same key, want 1", n)
	}

	other := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Another club"}
	r := s.doKeyed(t, "POST", "/api/v1/applications", applicant, "draft-key-1", other)
	if r.Status != http.StatusUnprocessableEntity || dig(r.Body, "error", "fields", "Idempotency-Key") == nil {
		t.Fatalf("the key with another body: %d %s, want 422 naming Idempotency-Key", r.Status, r.Raw)
	}
	for name, key := range map[string]string{"empty": `""`, "too long": strings.Repeat("k", 256), "not printable": "tab\there", "not ASCII": "clé"} {
		r := s.doKeyed(t, "POST", "/api/v1/applications", applicant, key, other)
		if r.Status != http.StatusUnprocessableEntity || dig(r.Body, "error", "fields", "Idempotency-Key") == nil {
			t.Errorf("%s key: %d %s, want 422 naming Idempotency-Key", name, r.Status, r.Raw)
		}
	}
	if n := drafts("Another club"); n != 0 {
		t.Fatalf("%d drafts made by refused requests", n)
	}

	// Ten copies at once: one draft; each answer is the draft (made or replayed) or "still in flight".
	burst := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Burst club"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.doKeyed(t, "POST", "/api/v1/applications", applicant, "burst-key", burst)
			if r.Status == http.StatusConflict && r.str("error", "code") != "idempotency_key_in_use" {
				t.Errorf("a copy in flight: %s", r.Raw)
			}
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusCreated] < 1 || statuses[http.StatusCreated]+statuses[http.StatusConflict] != 10 {
		t.Errorf("answers to ten copies: %v, want 201s and 409s only", statuses)
	}
	if n := drafts("Burst club"); n != 1 {
		t.Fatalf("%d drafts from ten copies with one key, want 1", n)
	}
	// The same key is the person's own: someone else's is another key.
	officer := s.staff(t, "officer")
	if r := s.doKeyed(t, "POST", "/api/v1/applications", officer, "burst-key", burst); r.Status != http.StatusForbidden {
		t.Errorf("another person's key answered %d %s, want their own answer (403: officers make no drafts)", r.Status, r.Raw)
	}
}

// A step sent again with the same key after its answer was lost, even after the first took effect
// in the workflow but its answer was never stored (a crash, or a 503 as the workflow answered), is
// answered with the first outcome and taken once: the key is the step's Temporal update id.
func TestIdempotencyKeyTakesAStepOnce(t *testing.T) {
	s := newSystem(t)
	applicant := s.signIn(t, webApplicant, demo.Password)
	id := s.applyFor(t, applicant, 250000)
	assessor := s.staff(t, "assessor")
	path := fmt.Sprintf("/api/v1/applications/%d/assessments", id)
	body := map[string]any{"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"}

	first := s.doKeyed(t, "POST", path, assessor, "assess-key-1", body)
	if first.Status != http.StatusOK {
		t.Fatalf("the step: %d %s", first.Status, first.Raw)
	}
	replayed := s.doKeyed(t, "POST", path, assessor, "assess-key-1", body)
	header := replayed.Header
	if replayed.Status != http.StatusOK || !bytes.Equal(first.Raw, replayed.Raw) || header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the repeat: %d %s, want the first answer replayed", replayed.Status, replayed.Raw)
	}
	// As if the first request's answer had never been stored: the repeat carries the step out
	// again, and Temporal answers it with the first update's outcome instead of a second assessment.
	if _, err := s.Store.DB.Exec(`UPDATE idempotency_keys SET status = NULL, body = NULL, content_type = NULL, locked_until = now() WHERE key = 'assess-key-1'`); err != nil {
		t.Fatal(err)
	}
	retried := s.doKeyed(t, "POST", path, assessor, "assess-key-1", body)
	header = retried.Header
	if retried.Status != http.StatusOK || retried.str("result") != first.str("result") || header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the step sent again under its key: %d %s, want the first outcome %s", retried.Status, retried.Raw, first.str("result"))
	}
	var n int
	if err := s.Store.DB.Get(&n, `SELECT count(*) FROM assessments WHERE application_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d assessments recorded, want 1", n)
	}
	// Without the key the same step is a new one, and refused.
	if r := s.do(t, "POST", path, assessor, body); r.Status < 400 {
		t.Fatalf("the step again without a key: %d %s, want a refusal", r.Status, r.Raw)
	}
}

// loseAnswer makes it as if the request first sent with the key had been cut off by a crash after
// its work and before its answer was stored.
func (s *system) loseAnswer(t testing.TB, key string) {
	t.Helper()
	if _, err := s.Store.DB.Exec(`UPDATE idempotency_keys SET status = NULL, body = NULL, content_type = NULL, locked_until = now() WHERE key = $1`, key); err != nil {
		t.Fatal(err)
	}
}

// A creating call that writes the database itself (not through a workflow) records the key's effect
// with its write: a repeat after a crash between the write and storing the answer is told the
// answer was lost, and nothing is written twice (here: a second invitation e-mail and link).
func TestIdempotencyKeyDirectWriteIsNotMadeTwiceAfterACrash(t *testing.T) {
	s := newSystem(t)
	admin := s.staff(t, "admin")
	invited := s.must(t, http.StatusCreated, "POST", "/api/v1/admin/users", admin,
		map[string]any{"email": "nia@opcc.example.org", "name": "Nia Newstarter", "role": "officer"})
	path := fmt.Sprintf("/api/v1/admin/users/%v/invitation", dig(invited.Body, "id"))
	resent := func() int {
		var n int
		if err := s.Store.DB.Get(&n, `SELECT count(*) FROM admin_events WHERE action = 'user.invitation_resent'`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if r := s.doKeyed(t, "POST", path, admin, "resend-1", map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("resend: %d %s", r.Status, r.Raw)
	}
	s.loseAnswer(t, "resend-1")
	r := s.doKeyed(t, "POST", path, admin, "resend-1", map[string]any{})
	if r.Status != http.StatusConflict || r.str("error", "code") != "idempotency_answer_lost" {
		t.Fatalf("the repeat after a crash: %d %s, want 409 idempotency_answer_lost", r.Status, r.Raw)
	}
	if n := resent(); n != 1 {
		t.Fatalf("the invitation was sent again %d times, want once", n)
	}
}

// A kept answer is given back only to the person standing as they did: after an admin changes
// their role the repeat is refused (403), not replayed; with the role back, it is replayed. Nothing
// is made twice.
func TestIdempotencyKeyIsNotReplayedAfterARoleChange(t *testing.T) {
	s := newSystem(t)
	admin := s.staff(t, "admin")
	head := s.staff(t, string(scheme.RoleHeadOfCommissioning))
	headID := s.userID(t, head)
	staff := fmt.Sprintf("/api/v1/admin/users/%v", headID)
	var band string
	for _, b := range demo.Bands {
		if b.Role == scheme.RoleHeadOfCommissioning {
			band = b.Title
		}
	}
	if band == "" {
		t.Fatal("the demo grassroots scheme has no band for a head of commissioning")
	}
	s.must(t, http.StatusOK, "PATCH", staff, admin, map[string]any{"band_title": band, "reason": "Band set"})
	var grassroots int64
	if err := s.Store.DB.Get(&grassroots, `SELECT id FROM schemes WHERE slug = 'grassroots'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/admin/schemes/%d/rounds", grassroots)
	round := map[string]any{"name": "Keyed round", "opens_at": time.Now().Add(time.Hour).Format(time.RFC3339),
		"closes_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}
	first := s.doKeyed(t, "POST", path, head, "round-1", round)
	if first.Status != http.StatusCreated {
		t.Fatalf("the round: %d %s", first.Status, first.Raw)
	}

	s.must(t, http.StatusOK, "PATCH", staff, admin, map[string]any{"role": "officer", "reason": "Moved to casework"})
	r := s.doKeyed(t, "POST", path, head, "round-1", round)
	if r.Status != http.StatusForbidden || r.Header.Get("Idempotent-Replayed") != "" || dig(r.Body, "id") != nil {
		t.Fatalf("the repeat after a change of role: %d %s, want 403 and no replay", r.Status, r.Raw)
	}

	s.must(t, http.StatusOK, "PATCH", staff, admin, map[string]any{"role": "head_of_commissioning", "band_title": band, "reason": "Back"})
	r = s.doKeyed(t, "POST", path, head, "round-1", round)
	if r.Status != http.StatusCreated || !bytes.Equal(r.Raw, first.Raw) || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the repeat with the role back: %d %s, want the first answer replayed", r.Status, r.Raw)
	}
	var n int
	if err := s.Store.DB.Get(&n, `SELECT count(*) FROM rounds WHERE name = 'Keyed round'`); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d rounds made, want 1", n)
	}
}
