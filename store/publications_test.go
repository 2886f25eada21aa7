package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// A month is published once, on the first working day after it; the same content again publishes
// nothing, nor does a payment (the frozen file holds the award's facts, not its running total); a
// variation, an early ending and a lapse make version 2, which says what changed, while version 1
// keeps its bytes and hash and cannot be changed or removed.
func TestRegisterMonthIsFrozenAndCorrectedByNewVersions(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st) // every award decided on 1 May 2026
	keptID, kept, _ := a.award("grassroots", "Kept grant", money.Pounds(3000), time.Date(2026, 5, 3, 9, 0, 0, 0, time.UTC))
	_, varied, _ := a.award("grassroots", "Varied grant", money.Pounds(4000), time.Date(2026, 5, 3, 9, 0, 0, 0, time.UTC))
	_, ended, _ := a.award("grassroots", "Ended grant", money.Pounds(2000), time.Date(2026, 5, 3, 9, 0, 0, 0, time.UTC))
	lapsedID, lapsed, _ := a.award("grassroots", "Lapsing offer", money.Pounds(1000), time.Time{})
	p := &publication.Publisher{Store: st}
	may := time.Date(2026, time.May, 1, 0, 0, 0, 0, scheme.London)

	// Sunday 31 May: May is not yet due. Monday 1 June, 06:30: it is.
	if got, err := p.PublishDue(ctx, time.Date(2026, 5, 31, 23, 0, 0, 0, scheme.London)); err != nil || len(got) != 0 {
		t.Fatalf("before June's first working day: %+v %v", got, err)
	}
	first := time.Date(2026, 6, 1, 6, 30, 0, 0, scheme.London)
	got, err := p.PublishDue(ctx, first)
	if err != nil || len(got) != 1 || got[0].Number != "REG-2026-05 v1" || got[0].Awards != 4 || got[0].Total != money.Pounds(10000) {
		t.Fatalf("published %+v, %v; want REG-2026-05 v1 with 4 awards, £10,000", got, err)
	}
	v1, v1JSON, err := st.LatestRegisterPublication(ctx, may)
	if err != nil {
		t.Fatal(err)
	}
	_, v1CSV, err := st.RegisterPublicationFile(ctx, v1.Number, "csv")
	if err != nil {
		t.Fatal(err)
	}
	if v1.JSONSHA256 != publication.SHA256(v1JSON) || v1.CSVSHA256 != publication.SHA256(v1CSV) {
		t.Fatalf("hashes do not match the files: %+v", v1)
	}
	var awards []publication.Award
	if err := json.Unmarshal(v1JSON, &awards); err != nil || len(awards) != 4 {
		t.Fatalf("v1's JSON: %v %s", err, v1JSON)
	}
	if !strings.HasPrefix(string(v1CSV), "Reference,Recipient,") || strings.Contains(string(v1CSV), "Amount paid") {
		t.Errorf("v1's CSV header: %.200s", v1CSV)
	}

	// Again the same day, the next day, and after a payment: nothing new.
	if _, err := st.RecordPayment(ctx, store.Payment{AwardID: kept.ID, Tranche: 1, Amount: kept.Amount, PaidOn: first, Reference: "BACS",
		RecordedBy: a.officer, RecordedAt: first}, keptID, a.event(keptID, first, "paid")); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{first, first.AddDate(0, 0, 1)} {
		if got, err := p.PublishDue(ctx, at); err != nil || len(got) != 0 {
			t.Fatalf("a second run at %v published %+v, %v", at, got, err)
		}
	}

	// A variation (amount and conditions), an early ending and a lapse.
	if _, err := st.DB.ExecContext(ctx, `UPDATE awards SET amount_pence = $2, conditions = '["Report each quarter"]', version = 2 WHERE id = $1`,
		varied.ID, money.Pounds(4500)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `UPDATE awards SET status = 'terminated', ended_early_on = '2026-06-10', amount_pence = 0 WHERE id = $1`, ended.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardStatus(ctx, lapsedID, "lapsed", nil, a.event(lapsedID, first, "lapsed")); err != nil {
		t.Fatal(err)
	}
	got, err = p.PublishDue(ctx, time.Date(2026, 6, 12, 6, 30, 0, 0, scheme.London))
	if err != nil || len(got) != 1 || got[0].Number != "REG-2026-05 v2" || got[0].Awards != 3 {
		t.Fatalf("after the corrections: %+v %v", got, err)
	}
	v2, _, err := st.LatestRegisterPublication(ctx, may)
	if err != nil {
		t.Fatal(err)
	}
	var changes []publication.Change
	if err := json.Unmarshal(v2.Changes, &changes); err != nil {
		t.Fatal(err)
	}
	byRef := map[string]publication.Change{}
	for _, c := range changes {
		byRef[c.Reference] = c
	}
	if len(changes) != 3 {
		t.Errorf("changes %+v, want the varied, ended and lapsed awards", changes)
	}
	fields := func(c publication.Change) map[string][2]string {
		out := map[string][2]string{}
		for _, f := range c.Fields {
			out[f.Field] = [2]string{f.Before, f.After}
		}
		return out
	}
	if c := byRef[varied.Reference]; c.Change != "changed" || fields(c)["amount_awarded"] != [2]string{"4000.00", "4500.00"} ||
		fields(c)["conditions"] != [2]string{"", "Report each quarter"} || len(c.Fields) != 2 {
		t.Errorf("the varied award: %+v", c)
	}
	if c := byRef[ended.Reference]; c.Change != "changed" || fields(c)["ended_early_on"] != [2]string{"", "2026-06-10"} || fields(c)["amount_awarded"] != [2]string{"2000.00", "0.00"} {
		t.Errorf("the award ended early: %+v", c)
	}
	if c := byRef[lapsed.Reference]; c.Change != "removed" {
		t.Errorf("the lapsed offer: %+v", c)
	}
	_, ok := byRef[kept.Reference]
	if ok {
		t.Errorf("the paid award is listed as changed: %+v", byRef[kept.Reference])
	}

	// Version 1 as it was, and it cannot be changed or removed.
	old, oldCSV, err := st.RegisterPublicationFile(ctx, "REG-2026-05 v1", "csv")
	if err != nil || old.CSVSHA256 != v1.CSVSHA256 || string(oldCSV) != string(v1CSV) {
		t.Errorf("version 1 changed: %+v %v", old, err)
	}
	if _, err := st.DB.ExecContext(ctx, `UPDATE register_publications SET awards = 0 WHERE number = 'REG-2026-05 v1'`); err == nil {
		t.Error("a publication was changed in place")
	}
	if _, err := st.DB.ExecContext(ctx, `DELETE FROM register_publications`); err == nil {
		t.Error("publications were deleted")
	}
	list, err := st.RegisterPublications(ctx)
	if err != nil || len(list) != 2 || list[0].Number != "REG-2026-05 v2" || list[1].Number != "REG-2026-05 v1" {
		t.Errorf("the list: %+v %v", list, err)
	}
	// A publisher down all summer catches up: June, July and August (due Tuesday 1 September) are
	// published, empty, on its first run after.
	got, err = p.PublishDue(ctx, time.Date(2026, 9, 1, 9, 0, 0, 0, scheme.London))
	var numbers []string
	for _, g := range got {
		numbers = append(numbers, g.Number)
	}
	if err != nil || strings.Join(numbers, ",") != "REG-2026-06 v1,REG-2026-07 v1,REG-2026-08 v1" {
		t.Errorf("catching up: %v %v", numbers, err)
	}
}
