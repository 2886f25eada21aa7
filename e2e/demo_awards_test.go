package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"grantflow/internal/demo"
)

// TestDemoAwardsFillTheRegisterOnce runs what `make run` does on a fresh database: the demo's
// first grants, of both kinds, made through the API and the workflows, so the public register and
// decision records are not empty; run again, it makes nothing more.
func TestDemoAwardsFillTheRegisterOnce(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	if err := demo.Awards(ctx, s.URL, s.Store, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Riverside Youth Project": "Commissioning Officer", "Safe Haven Domestic Abuse Partnership": "Police and Crime Commissioner",
		"Northgate Youth Diversion": "Head of Commissioning"}
	check := func() {
		t.Helper()
		reg := s.must(t, http.StatusOK, "GET", "/api/v1/register", "", nil)
		grants, _ := dig(reg.Body, "grants").([]any)
		if len(grants) != len(want) {
			t.Fatalf("the register lists %d grants, want %d: %s", len(grants), len(want), reg.Raw)
		}
		for _, g := range grants {
			if by := want[dig(g, "recipient").(string)]; by == "" || dig(g, "decided_by") != by || dig(g, "status") != "Under way" {
				t.Errorf("the register lists %v", g)
			}
		}
	}
	check()
	// Later runs of `make run` find the register filled and leave it be.
	if err := demo.Awards(ctx, s.URL, s.Store, time.Now()); err != nil {
		t.Fatal(err)
	}
	check()
}
