package store_test

import (
	"context"
	"strings"
	"testing"

	"grantflow/store/storetest"
)

// What an application's page reads on every view is found through an index, never by scanning
// the table: with ten notifications, a dozen events and a few documents a grant, a scan grows
// with the whole office. (Sequential scans are priced out, so the plan scans only where no index
// serves; on a near-empty table the planner would scan anyway.)
func TestAnApplicationsPageReadsByIndex(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	for _, query := range []string{
		`SELECT * FROM notifications WHERE application_id = 1 ORDER BY created_at, id`,
		`SELECT * FROM application_events WHERE application_id = 1`,
		`SELECT * FROM documents WHERE application_id = 1`,
		`SELECT * FROM assessments WHERE application_id = 1`,
		`SELECT * FROM awards WHERE application_id = 1`,
	} {
		tx, err := st.DB.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		if err := tx.SelectContext(ctx, &plan, `EXPLAIN `+query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		tx.Rollback()
		if text := strings.Join(plan, "\n"); strings.Contains(text, "Seq Scan") {
			t.Errorf("%s scans its table:\n%s", query, text)
		}
	}
}
