package e2e

import (
	"context"
	"reflect"
	"testing"

	"grantflow/internal/demo"
)

// Submitting keeps the scheme's rules with the application, as its workflow was started with them.
func TestSubmissionKeepsTheRulesItStartedWith(t *testing.T) {
	s := newSystem(t)
	token := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	id := s.applyFor(t, token, 300000)
	ctx := context.Background()
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		t.Fatal(err)
	}
	rules, kept, err := app.SubmittedRules()
	if err != nil || !kept || !reflect.DeepEqual(rules, sc.Rules) {
		t.Fatalf("kept %v (%v): %+v, want the scheme's %+v", kept, err, rules, sc.Rules)
	}
}
