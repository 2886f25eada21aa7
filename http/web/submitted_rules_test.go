package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/workflows"
)

// Staff see the delegation bands an application was submitted under, which its workflow applies,
// even after the scheme's rules are changed.
func TestStaffSeeTheRulesAnApplicationWasSubmittedUnder(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	st := s.Store
	id := submitted(t, st, "grassroots", "Safer parks", money.Pounds(4500), workflows.StageDecision, time.Now().AddDate(0, 0, -3))
	app, err := st.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := st.Scheme(ctx, app.SchemeID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSubmittedRules(ctx, id, sc.Rules); err != nil { // as submission does, while still a draft
		t.Fatal(err)
	}
	rules := sc.Rules
	if again, _ := st.Application(ctx, id); again.RulesJSON != nil {
		t.Fatal("rules were kept for an application that had already left the draft stage")
	}
	// Keep them as a submission would have, then lower the officers' band in the scheme.
	if _, err := st.DB.ExecContext(ctx, `UPDATE applications SET submitted_rules = $2 WHERE id = $1`, id, mustJSON(t, rules)); err != nil {
		t.Fatal(err)
	}
	changed := rules
	changed.Delegation = append(changed.Delegation[:0:0], rules.Delegation...)
	changed.Delegation[0].UpTo = money.Pounds(1000)
	if _, err := st.DB.ExecContext(ctx, `UPDATE schemes SET rules = $2 WHERE id = $1`, sc.ID, mustJSON(t, changed)); err != nil {
		t.Fatal(err)
	}

	path := fmt.Sprintf("/applications/%d", id)
	p := signInAs(t, s, "officer@opcc.example.org").get(path)
	p.mustBe(t, http.StatusOK, path)
	p.mustContain(t, "Up to £5,000.00", "You may approve awards up to £5,000.00.")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
