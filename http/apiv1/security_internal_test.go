package apiv1

import (
	"testing"
	"time"

	"grantflow/http/httperr"
	"grantflow/store"
)

// The audit trail's dates are whole days in London: the night the clocks go forward (29 March
// 2026) the day "to" includes ends at 23:00 UTC, in winter at midnight UTC.
func TestAuditFilterDaysAreLondonDays(t *testing.T) {
	f, err := AuditFilter(AuditQuery{From: "2026-03-29", To: "2026-03-29"})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC); !f.From.Equal(want) {
		t.Errorf("from %v, want %v", f.From.UTC(), want)
	}
	if want := time.Date(2026, 3, 29, 23, 0, 0, 0, time.UTC); !f.To.Equal(want) {
		t.Errorf("to %v, want %v (midnight BST)", f.To.UTC(), want)
	}
	f, _ = AuditFilter(AuditQuery{To: "2026-12-31"})
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !f.To.Equal(want) || f.Page.Size != store.DefaultPageSize {
		t.Errorf("to %v limit %d", f.To.UTC(), f.Page.Size)
	}
	_, err = AuditFilter(AuditQuery{From: "2026-13-01", To: "x", ActorID: "1.5", Limit: "9999", After: "x", Before: "y", SubjectKind: "Scheme!", Action: "a b"})
	he, ok := err.(*httperr.Error)
	if !ok || he.Status != 422 {
		t.Fatalf("bad filters: %v", err)
	}
	for _, field := range []string{"from", "to", "actor_id", "limit", "before", "subject_kind", "action"} {
		if he.Fields[field] == "" {
			t.Errorf("%s not named: %v", field, he.Fields)
		}
	}
}
