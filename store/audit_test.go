package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"grantflow/store"
	"grantflow/store/storetest"
)

// The application's role does a grant's writes (the demo data, a draft, an award, its finance
// notice, its acceptance) and may read and add to the audit trail, but never change or remove a
// line of it; nor may the owner while the trigger stands.
func TestTheApplicationsRoleMayOnlyAppendToTheAuditTrail(t *testing.T) {
	owner, app := storetest.NewWithAppRole(t)
	ctx := context.Background()
	var role string
	if err := app.DB.Get(&role, `SELECT current_user`); err != nil || role != storetest.AppRole {
		t.Fatalf("the application's store acts as %q (%v), want %s", role, err, storetest.AppRole)
	}
	a := newAwards(t, app)
	id, _, _ := a.award("grassroots", "Audit club nights", 50_000, time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC))
	events, err := app.Timeline(ctx, id)
	if err != nil || len(events) != 3 {
		t.Fatalf("timeline read as the application: %d events, %v; want 3", len(events), err)
	}
	for i, e := range events {
		if e.Seq != i+1 || len(e.Hash) != 32 || (i == 0) != (e.PrevHash == nil) || (i > 0 && string(e.PrevHash) != string(events[i-1].Hash)) {
			t.Errorf("event %d: seq %d, prev %x, hash %x: not chained to the one before", i, e.Seq, e.PrevHash, e.Hash)
		}
	}

	refused := func(who string, st *store.Store, sql string, args ...any) {
		t.Helper()
		_, err := st.DB.ExecContext(ctx, sql, args...)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("%s: %s: %v, want refused (42501)", who, sql, err)
		} else if who == "owner" && !strings.Contains(err.Error(), "append-only") {
			t.Errorf("the owner's refusal does not say why: %v", err)
		}
	}
	for _, sql := range []string{`UPDATE application_events SET why = 'rewritten' WHERE application_id = $1`,
		`DELETE FROM application_events WHERE application_id = $1`} {
		refused("application", app, sql, id) // no privilege
		refused("owner", owner, sql, id)     // the trigger
	}
	refused("application", app, `TRUNCATE application_events`)
	refused("owner", owner, `TRUNCATE application_events`)
	if _, err := app.DB.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_name, actor_role, what, status, seq, hash)
		VALUES ($1, 'forged', now(), 'Someone', 'system', 'Forged', 'accepted', 1, '\x00')`, id); err != nil {
		t.Fatalf("the application may append: %v", err)
	}
	r, err := app.VerifyAuditTrail(ctx, 0)
	if err != nil || len(r.Breaks) > 0 || r.Events == 0 {
		t.Errorf("the chain as written (a forged seq and hash replaced by the database's): %+v, %v", r, err)
	}

	// Every table's privileges follow one rule: append-only (the trigger) means SELECT and INSERT
	// only; every other table may be read and written; goose's table only read.
	rows, err := owner.DB.QueryxContext(ctx, `SELECT c.relname,
			EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgfoid = 'append_only'::regproc) AS append_only,
			has_table_privilege('grantflow_app', c.oid, 'SELECT') AS s, has_table_privilege('grantflow_app', c.oid, 'INSERT') AS i,
			has_table_privilege('grantflow_app', c.oid, 'UPDATE') AS u, has_table_privilege('grantflow_app', c.oid, 'DELETE') AS d,
			has_table_privilege('grantflow_app', c.oid, 'TRUNCATE') AS tr
		FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	appendOnly := map[string]bool{}
	for rows.Next() {
		var name string
		var ao, s, i, u, d, tr bool
		if err := rows.Scan(&name, &ao, &s, &i, &u, &d, &tr); err != nil {
			t.Fatal(err)
		}
		want := [5]bool{true, true, !ao, !ao, false}
		if name == "goose_db_version" {
			want = [5]bool{true, false, false, false, false}
		}
		if got := [5]bool{s, i, u, d, tr}; got != want {
			t.Errorf("%s (append-only %v): grantflow_app may select, insert, update, delete, truncate = %v; want %v", name, ao, got, want)
		}
		appendOnly[name] = ao
	}
	for _, name := range []string{"application_events", "admin_events", "register_publications", "panel_reports", "payments", "submissions"} {
		if !appendOnly[name] {
			t.Errorf("%s is not append-only", name)
		}
	}
}

// The chain verifies as written, and an edited, removed or re-hashed event is named with its
// application; the other applications' trails still verify.
func TestAuditTrailVerificationFindsTampering(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	at := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	edited, _, _ := a.award("grassroots", "Edited", 50_000, at)
	removed, _, _ := a.award("grassroots", "Removed", 50_000, at)
	rehashed, _, _ := a.award("grassroots", "Rehashed", 50_000, at)
	intact, _, _ := a.award("grassroots", "Intact", 50_000, at)
	// A line by Grantflow itself (no user) in words beyond ASCII, on both implementations' encodings.
	if err := st.RecordEvent(ctx, store.Event{Application: intact, Key: "unicode", At: at.Add(time.Microsecond * 7),
		ActorName: "Grantflow", ActorRole: "system", What: "Café grant – ✓ «accepted»", Why: "naïve", Status: "accepted"}); err != nil {
		t.Fatal(err)
	}
	before, err := st.VerifyAuditTrail(ctx, 0)
	if err != nil || len(before.Breaks) > 0 || before.Applications < 4 {
		t.Fatalf("a fresh trail: %+v, %v", before, err)
	}

	timeline := func(app int64) []store.Event {
		t.Helper()
		events, err := st.Timeline(ctx, app)
		if err != nil || len(events) != 3 {
			t.Fatal(events, err)
		}
		return events
	}
	// tamper changes the event as its owner can, with the trigger set aside.
	tamper := func(event int64, statements ...string) {
		t.Helper()
		if _, err := st.DB.ExecContext(ctx, `ALTER TABLE application_events DISABLE TRIGGER application_events_append_only`); err != nil {
			t.Fatal(err)
		}
		for _, sql := range statements {
			if _, err := st.DB.ExecContext(ctx, sql, event); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		if _, err := st.DB.ExecContext(ctx, `ALTER TABLE application_events ENABLE TRIGGER application_events_append_only`); err != nil {
			t.Fatal(err)
		}
	}
	e1, e2, e3 := timeline(edited), timeline(removed), timeline(rehashed)
	tamper(e1[1].ID, `UPDATE application_events SET why = 'Approved by the panel' WHERE id = $1`)
	tamper(e2[1].ID, `DELETE FROM application_events WHERE id = $1`)
	// Edited, and its own hash recomputed as the database would: the next event no longer follows it.
	tamper(e3[1].ID, `UPDATE application_events SET what = 'Declined' WHERE id = $1`,
		`UPDATE application_events e SET hash = application_event_hash(e) WHERE id = $1`)

	r, err := st.VerifyAuditTrail(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]struct {
		event int64
		says  string
	}{edited: {e1[1].ID, "changed after it was recorded"}, removed: {e2[2].ID, "missing"}, rehashed: {e3[2].ID, "does not follow"}}
	if len(r.Breaks) != len(want) || r.Applications != before.Applications || r.Events != before.Events-1 {
		t.Errorf("report %+v; want %d breaks in %d applications", r, len(want), before.Applications)
	}
	for _, b := range r.Breaks {
		w, ok := want[b.Application]
		if !ok || b.Event != w.event || !strings.Contains(b.Reason, w.says) ||
			!strings.Contains(b.String(), fmt.Sprintf("application %d, event %d", b.Application, b.Event)) {
			t.Errorf("break %s; want event %d saying %q", b, w.event, w.says)
		}
	}
	one, err := st.VerifyAuditTrail(ctx, intact)
	if err != nil || len(one.Breaks) > 0 || one.Applications != 1 || one.Events != 4 || len(one.Head) != 32 {
		t.Errorf("the intact application alone: %+v, %v", one, err)
	}
}

// Steps recorded at once on one application chain one after another: none follows the same event.
func TestAuditTrailChainsConcurrentEvents(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	id, _, _ := a.award("grassroots", "Busy", 50_000, time.Time{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			errs <- st.RecordEvent(ctx, store.Event{Application: id, Key: fmt.Sprintf("concurrent-%d", i), At: time.Now(),
				ActorName: "Test", ActorRole: "system", What: "Noted", Status: "offered"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := st.VerifyAuditTrail(ctx, id)
	if err != nil || len(r.Breaks) > 0 || r.Events != 18 {
		t.Errorf("after 16 concurrent events: %+v, %v; want 18 chained events", r, err)
	}
}
