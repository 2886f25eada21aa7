package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/store"
	"grantflow/store/storetest"
)

type draftMaker struct {
	st              *store.Store
	org, user       int64
	schemeID, round int64
}

func newDraftMaker(t *testing.T) draftMaker {
	t.Helper()
	st := storetest.New(t)
	schemeID, apps := seedApplications(t, st, 1, money.Pounds(1000))
	app, err := st.Application(context.Background(), apps[0])
	if err != nil {
		t.Fatal(err)
	}
	return draftMaker{st: st, org: app.OrganisationID, user: app.CreatedBy, schemeID: schemeID, round: app.RoundID}
}

func (d draftMaker) create(ctx context.Context) (int64, error) {
	return d.st.CreateDraft(ctx, d.org, d.user, store.Draft{SchemeID: d.schemeID, RoundID: d.round, Title: "Keyed"})
}

func (d draftMaker) keyedDrafts(t *testing.T) int {
	t.Helper()
	var n int
	if err := d.st.DB.Get(&n, `SELECT count(*) FROM applications WHERE title = 'Keyed'`); err != nil {
		t.Fatal(err)
	}
	return n
}

// Many attempts with one key at once: one claims it and writes; the others are told it is in
// flight or given its answer; a repeat replays the answer; another body is a mismatch.
func TestIdempotencyKeyConcurrentAttemptsWriteOnce(t *testing.T) {
	d := newDraftMaker(t)
	ctx := context.Background()
	req := store.IdempotentRequest{UserID: d.user, Route: "POST /api/v1/applications", Key: "k-1", RequestHash: []byte("body-1")}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		states = map[store.IdempotencyState]int{}
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := d.st.ClaimIdempotencyKey(ctx, req, time.Minute, 24*time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if out.State == store.IdempotencyClaimed {
				id, err := d.create(store.WithIdempotencyClaim(ctx, req, out.Claim))
				if err == nil {
					err = d.st.SaveIdempotentAnswer(ctx, req, out.Claim, store.IdempotentAnswer{Status: 201, ContentType: "application/json", Body: []byte(`{"id":1}`)})
				}
				if err != nil || id == 0 {
					t.Errorf("the claimed attempt: id %d, %v", id, err)
				}
			}
			mu.Lock()
			states[out.State]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if states[store.IdempotencyClaimed] != 1 || states[store.IdempotencyInFlight]+states[store.IdempotencyAnswered] != 19 {
		t.Fatalf("states: %v, want one claimed and 19 in flight or answered", states)
	}
	if n := d.keyedDrafts(t); n != 1 {
		t.Fatalf("%d drafts written, want 1", n)
	}
	again, err := d.st.ClaimIdempotencyKey(ctx, req, time.Minute, 24*time.Hour)
	if err != nil || again.State != store.IdempotencyAnswered || again.Answer.Status != 201 || string(again.Answer.Body) != `{"id":1}` {
		t.Fatalf("repeat: %+v, %v; want the stored 201", again, err)
	}
	other := req
	other.RequestHash = []byte("body-2")
	if out, err := d.st.ClaimIdempotencyKey(ctx, other, time.Minute, 24*time.Hour); err != nil || out.State != store.IdempotencyMismatch {
		t.Fatalf("another body: %+v, %v; want a mismatch", out, err)
	}
	// The same key is another person's, or another route's, to use as they like.
	for _, r := range []store.IdempotentRequest{{UserID: d.user, Route: "POST /api/v1/other", Key: "k-1", RequestHash: []byte("x")}} {
		if out, err := d.st.ClaimIdempotencyKey(ctx, r, time.Minute, 24*time.Hour); err != nil || out.State != store.IdempotencyClaimed {
			t.Fatalf("key on another route: %+v, %v", out, err)
		}
	}
}

// An attempt that outlives its lease before writing is taken over; its late write is refused and
// rolled back, so only the attempt holding the key writes. Once that write has committed, a
// repeat after a crash (no answer stored) learns the record instead of writing again.
func TestIdempotencyKeyTakeoverWritesOnceAndAnswerLostNamesTheRecord(t *testing.T) {
	d := newDraftMaker(t)
	ctx := context.Background()
	req := store.IdempotentRequest{UserID: d.user, Route: "POST /api/v1/applications", Key: "k-2", RequestHash: []byte("body")}
	first, err := d.st.ClaimIdempotencyKey(ctx, req, 0, 24*time.Hour) // a lease already over
	if err != nil || first.State != store.IdempotencyClaimed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	other := req
	other.RequestHash = []byte("another body")
	if out, err := d.st.ClaimIdempotencyKey(ctx, other, time.Minute, 24*time.Hour); err != nil || out.State != store.IdempotencyMismatch {
		t.Fatalf("another body never takes a key over: %+v, %v", out, err)
	}
	second, err := d.st.ClaimIdempotencyKey(ctx, req, 0, 24*time.Hour)
	if err != nil || second.State != store.IdempotencyClaimed || second.Claim == first.Claim {
		t.Fatalf("second: %+v, %v; want it to take the key over", second, err)
	}
	if _, err := d.create(store.WithIdempotencyClaim(ctx, req, first.Claim)); !errors.Is(err, store.ErrIdempotencyClaimLost) {
		t.Fatalf("the first attempt's late write: %v, want ErrIdempotencyClaimLost", err)
	}
	id, err := d.create(store.WithIdempotencyClaim(ctx, req, second.Claim))
	if err != nil {
		t.Fatal(err)
	}
	if n := d.keyedDrafts(t); n != 1 {
		t.Fatalf("%d drafts written, want 1", n)
	}
	// The second "crashes" before saving its answer; its lease is over.
	third, err := d.st.ClaimIdempotencyKey(ctx, req, time.Minute, 24*time.Hour)
	if err != nil || third.State != store.IdempotencyAnswerLost || third.ResourceID != id {
		t.Fatalf("third: %+v, %v; want the answer lost with draft %d", third, err, id)
	}
	if err := d.st.SaveIdempotentAnswer(ctx, req, first.Claim, store.IdempotentAnswer{Status: 201}); !errors.Is(err, store.ErrIdempotencyClaimLost) {
		t.Fatalf("saving under a lost claim: %v", err)
	}
}

// A released key (the request failed in a way worth retrying) is claimed again at once; an
// expired key is claimed afresh whatever its body was.
func TestIdempotencyKeyReleaseAndExpiry(t *testing.T) {
	d := newDraftMaker(t)
	ctx := context.Background()
	req := store.IdempotentRequest{UserID: d.user, Route: "POST /api/v1/applications/1/decision", Key: "k-3", RequestHash: []byte("body")}
	first, err := d.st.ClaimIdempotencyKey(ctx, req, time.Hour, 24*time.Hour)
	if err != nil || first.State != store.IdempotencyClaimed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if out, _ := d.st.ClaimIdempotencyKey(ctx, req, time.Hour, 24*time.Hour); out.State != store.IdempotencyInFlight {
		t.Fatalf("while held: %+v, want in flight", out)
	}
	if err := d.st.ReleaseIdempotencyKey(ctx, req, first.Claim); err != nil {
		t.Fatal(err)
	}
	retry, err := d.st.ClaimIdempotencyKey(ctx, req, time.Hour, 0) // kept for no time at all
	if err != nil || retry.State != store.IdempotencyClaimed {
		t.Fatalf("after release: %+v, %v", retry, err)
	}
	if err := d.st.SaveIdempotentAnswer(ctx, req, retry.Claim, store.IdempotentAnswer{Status: 200, Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	other := req
	other.RequestHash = []byte("another body")
	if out, err := d.st.ClaimIdempotencyKey(ctx, other, time.Hour, 24*time.Hour); err != nil || out.State != store.IdempotencyClaimed {
		t.Fatalf("after expiry: %+v, %v; want a fresh claim", out, err)
	}
}

// Every transaction that writes under a key records its effect, not only a new draft's: a repeat
// after a crash (the write committed, no answer stored) is told the answer was lost instead of
// writing again. A request whose effect is a workflow's records none and may be carried out again.
func TestIdempotencyKeyEveryWriteRecordsItsEffect(t *testing.T) {
	d := newDraftMaker(t)
	ctx := context.Background()
	newUser := func(ctx context.Context, email string) error {
		_, err := d.st.CreateUser(ctx, store.NewUser{Email: email, Name: "Keyed", Role: "officer", Password: "a long enough password"})
		return err
	}
	req := store.IdempotentRequest{UserID: d.user, Route: "POST /api/v1/admin/users", Key: "k-4", RequestHash: []byte("body"), Standing: []byte("s")}
	first, err := d.st.ClaimIdempotencyKey(ctx, req, 0, 24*time.Hour) // its lease over at once: as after a crash
	if err != nil || first.State != store.IdempotencyClaimed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if err := newUser(store.WithIdempotencyClaim(ctx, req, first.Claim), "keyed-1@example.org"); err != nil {
		t.Fatal(err)
	}
	if out, err := d.st.ClaimIdempotencyKey(ctx, req, time.Minute, 24*time.Hour); err != nil || out.State != store.IdempotencyAnswerLost {
		t.Fatalf("a repeat after the write committed: %+v, %v; want the answer lost, not a second write", out, err)
	}

	step := req
	step.Route, step.Key = "POST /api/v1/applications/1/acceptance", "k-5"
	first, err = d.st.ClaimIdempotencyKey(ctx, step, 0, 24*time.Hour)
	if err != nil || first.State != store.IdempotencyClaimed {
		t.Fatalf("step: %+v, %v", first, err)
	}
	if err := newUser(store.EffectInWorkflow(store.WithIdempotencyClaim(ctx, step, first.Claim)), "keyed-2@example.org"); err != nil {
		t.Fatal(err)
	}
	if out, err := d.st.ClaimIdempotencyKey(ctx, step, time.Minute, 24*time.Hour); err != nil || out.State != store.IdempotencyClaimed {
		t.Fatalf("a repeat of a request whose effect is a workflow's: %+v, %v; want it carried out again", out, err)
	}
}

// A kept answer, or a write whose answer was lost, is given back only to the person standing as
// they did when it was made (role, band, organisations).
func TestIdempotencyKeyAnswersOnlyTheSameStanding(t *testing.T) {
	d := newDraftMaker(t)
	ctx := context.Background()
	req := store.IdempotentRequest{UserID: d.user, Route: "POST /api/v1/applications", Key: "k-6", RequestHash: []byte("body"), Standing: []byte("applicant of 1")}
	moved := req
	moved.Standing = []byte("applicant of 2")
	first, err := d.st.ClaimIdempotencyKey(ctx, req, time.Hour, 24*time.Hour)
	if err != nil || first.State != store.IdempotencyClaimed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if out, _ := d.st.ClaimIdempotencyKey(ctx, moved, time.Hour, 24*time.Hour); out.State != store.IdempotencyInFlight {
		t.Fatalf("while held, whatever the standing: %+v, want in flight", out)
	}
	if err := d.st.SaveIdempotentAnswer(ctx, req, first.Claim, store.IdempotentAnswer{Status: 201, Body: []byte(`{"id":1}`)}); err != nil {
		t.Fatal(err)
	}
	if out, err := d.st.ClaimIdempotencyKey(ctx, moved, time.Hour, 24*time.Hour); err != nil || out.State != store.IdempotencyStandingChanged || out.Answer.Body != nil {
		t.Fatalf("after a change of standing: %+v, %v; want no answer", out, err)
	}
	if out, err := d.st.ClaimIdempotencyKey(ctx, req, time.Hour, 24*time.Hour); err != nil || out.State != store.IdempotencyAnswered {
		t.Fatalf("standing as before: %+v, %v; want the answer", out, err)
	}

	lost := req
	lost.Key = "k-7"
	first, err = d.st.ClaimIdempotencyKey(ctx, lost, 0, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.create(store.WithIdempotencyClaim(ctx, lost, first.Claim)); err != nil {
		t.Fatal(err)
	}
	lost.Standing = moved.Standing
	if out, err := d.st.ClaimIdempotencyKey(ctx, lost, time.Hour, 24*time.Hour); err != nil || out.State != store.IdempotencyStandingChanged || out.ResourceID != 0 {
		t.Fatalf("the answer lost, after a change of standing: %+v, %v; want the record not named", out, err)
	}
}
