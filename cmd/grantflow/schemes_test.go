package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grantflow/store"
	"grantflow/store/storetest"
)

// grantflow schemes import: the example file creates the scheme, a second run changes nothing,
// standard input works, and a file with problems is refused with each path and writes nothing.
func TestSchemesImport(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	file := filepath.Join("..", "..", "examples", "schemes", "grassroots.yaml")
	var out bytes.Buffer
	if err := importScheme(ctx, st, file, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "grassroots: created with rules version 1 and form version 1") {
		t.Errorf("first import said %q", out.String())
	}
	events, err := st.AdminEvents(ctx, store.AdminEventFilter{})
	if err != nil || len(events) != 2 || events[0].ActorName != "grantflow schemes import" {
		t.Fatalf("admin events after the first import = %+v, %v", events, err)
	}
	data, _ := os.ReadFile(file)
	out.Reset()
	if err := importScheme(ctx, st, "-", bytes.NewReader(data), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unchanged") {
		t.Errorf("second import (from standard input) said %q", out.String())
	}
	if again, _ := st.AdminEvents(ctx, store.AdminEventFilter{}); len(again) != len(events) {
		t.Errorf("a second import recorded %d more admin events", len(again)-len(events))
	}

	bad := strings.Replace(string(data), "slug: grassroots", "slug: Bad Slug", 1)
	bad = strings.Replace(bad, "sums_to: amount_requested_pence", "sums_to: nowhere", 1)
	bad = strings.Replace(bad, "kind: date", "kind: calendar", 1)
	bad = strings.Replace(bad, "questions: [need, evidence", "questions: [needs, evidence", 1)
	err = importScheme(ctx, st, "-", strings.NewReader(bad), &out)
	for _, want := range []string{"slug: must be lower-case", "form.sections[4].questions[0].sums_to", "form.sections[0].questions[3].kind", "rules.criteria[1].questions[0]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a bad file: error %v, want it to name %q", err, want)
		}
	}
	if list, _ := st.Schemes(ctx); len(list) != 1 {
		t.Errorf("a refused file wrote a scheme: %d schemes", len(list))
	}
	if err := importScheme(ctx, st, "-", strings.NewReader("slug: x\nunknown_field: 1\n"), &out); err == nil || !strings.Contains(err.Error(), "unknown_field: is not a field") {
		t.Errorf("an unknown field: %v", err)
	}
}
