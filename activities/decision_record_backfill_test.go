package activities_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"grantflow/activities"
	"grantflow/letters"
	"grantflow/migrations"
)

// Migration 00029 gives the records issued before records kept their content a content built from
// the data, by office and role: the same content the activity publishes today, but for the title
// (which then had no years). Here a record is issued, its content taken away as if it were older,
// and the migration's backfill run again: it must rebuild what was published, naming nobody.
func TestMigrationBackfillsOlderDecisionRecordsByRole(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	f.serviceAward(t)
	once(t, f.exec("conflict"), f.records, f.records.DeclareConflict, activities.DeclareConflictInput{
		Step: f.stepBy(f.assessor, "Conflict of interest declared", "", "assessment"), HasConflict: true, Details: "a trustee of the applicant"})
	number := result[string](t, once(t, f.exec("decision-record"), f.documents, f.documents.IssueDecisionRecord, f.decisionRecordInput()))

	read := func() letters.DecisionRecord {
		t.Helper()
		var raw []byte
		if err := f.st.DB.GetContext(f.ctx, &raw, `SELECT content FROM decision_records WHERE number = $1`, number); err != nil {
			t.Fatal(err)
		}
		var r letters.DecisionRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("content %s: %v", raw, err)
		}
		return r
	}
	issued := read()
	if _, err := f.st.DB.ExecContext(f.ctx, `UPDATE decision_records SET content = NULL`); err != nil {
		t.Fatal(err)
	}
	sql, err := migrations.FS.ReadFile("00029_public_decision_records.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(sql), "-- +goose Down")
	backfill := up[strings.Index(up, "UPDATE decision_records"):]
	if _, err := f.st.DB.ExecContext(f.ctx, backfill); err != nil {
		t.Fatalf("the backfill: %v", err)
	}
	rebuilt := read()

	if len(issued.Declarations) != 1 || issued.Declarations[0] != (letters.Declaration{Role: "An assessor"}) {
		t.Fatalf("issued declarations %+v; want the assessor's, by role", issued.Declarations)
	}
	if !rebuilt.Date.Equal(issued.Date) {
		t.Errorf("rebuilt date %v, issued %v", rebuilt.Date, issued.Date)
	}
	if !strings.HasPrefix(issued.Title, rebuilt.Title) {
		t.Errorf("rebuilt title %q; issued %q", rebuilt.Title, issued.Title)
	}
	rebuilt.Date, rebuilt.Title = issued.Date, issued.Title
	if !reflect.DeepEqual(rebuilt, issued) {
		t.Errorf("rebuilt content\n%+v\nissued\n%+v", rebuilt, issued)
	}
	rebuilt.Letterhead = f.documents.Letterhead
	if _, err := rebuilt.PDF(); err != nil {
		t.Errorf("the rebuilt record does not print: %v", err)
	}
}
