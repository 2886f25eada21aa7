package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary be the 360Giving part's streaming child, as the command is: the
// part runs its own executable with -giving-stream.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "-giving-stream" {
		if err := streamChild(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuickRunWritesEveryRatio runs the whole bench in -quick mode (every part, five rounds of
// 100 ms a side and small sizes, both persistences) and checks the JSON file it writes: every part
// is there with five rounds, and every rate and ratio is finite and positive.
func TestQuickRunWritesEveryRatio(t *testing.T) {
	a := alternation{rounds: 5}
	quickSizes(&a)
	persistence = "both"
	callers = 4
	results = &benchRun{Load: map[string]string{}}
	all, err := choose("all")
	if err != nil {
		t.Fatal(err)
	}
	if err := runParts(context.Background(), a, all); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bench-results.json")
	if err := results.write(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("the results file is not JSON: %v\n%s", err, raw)
	}
	byKey := map[string]result{}
	for _, r := range got.Results {
		byKey[r.Key] = r
	}
	for _, key := range []string{"letters", "starts-sqlite", "starts-postgres", "pages", "observed", "awards-sqlite", "awards-postgres", "grants-postgres", "360giving",
		"lists-queue", "lists-search", "lists-applicant"} {
		r, ok := byKey[key]
		if !ok {
			t.Errorf("the results file has no %q", key)
			continue
		}
		if len(r.Rounds) != a.rounds {
			t.Errorf("%s: %d rounds, want %d", key, len(r.Rounds), a.rounds)
		}
		for name, x := range map[string]float64{"ratio median": r.Ratio.Median, "ratio min": r.Ratio.Min, "ratio max": r.Ratio.Max,
			"ratio q1": r.Ratio.Q1, "ratio q3": r.Ratio.Q3, "bare per second": r.BareRate.Median, "ours per second": r.OursRate.Median} {
			if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
				t.Errorf("%s: %s = %v, want finite and positive", key, name, x)
			}
		}
		if r.Ratio.Min > r.Ratio.Median || r.Ratio.Median > r.Ratio.Max {
			t.Errorf("%s: ratio median %v is not between its min %v and max %v", key, r.Ratio.Median, r.Ratio.Min, r.Ratio.Max)
		}
		for i, rr := range r.Rounds {
			if rr.BareFirst != (i%2 == 0) {
				t.Errorf("%s: round %d has bare first = %v; the order should turn every round", key, i+1, rr.BareFirst)
			}
		}
	}
	for _, key := range []string{"lists-queue", "lists-search", "lists-applicant"} {
		if n := byKey[key].Notes; n["ours_p95_ms"] == "" || n["applications"] != "2000" || len(strings.Fields(n["bare_p95_ms_by_round"])) != a.rounds {
			t.Errorf("%s should note its 2000 applications, ours' p95 and bare's p95 of each round: %v", key, n)
		}
	}
	if g := byKey["grants-postgres"]; g.Notes["ours_total_seconds"] == "" || g.Notes["grants"] != "10" {
		t.Errorf("the grants part should note its total time and its 10 grants: %v", g.Notes)
	}
}

func TestQuantileAndStats(t *testing.T) {
	s := statsOf([]float64{5, 1, 3, 2, 4})
	if s != (stats{Median: 3, Min: 1, Max: 5, Q1: 2, Q3: 4}) {
		t.Errorf("stats of 1..5 = %+v", s)
	}
	if s := statsOf([]float64{0.7}); s.Median != 0.7 || s.Q1 != 0.7 || s.Q3 != 0.7 {
		t.Errorf("stats of one round = %+v", s)
	}
	if q := quantile([]float64{1, 2, 3, 4}, 0.5); q != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", q)
	}
}
