package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestGrassrootsOnPostgresPersistence runs the grassroots journeys again, in a child process of this
// test binary, against the dev runner's embedded Temporal server keeping its state in PostgreSQL
// (TEMPORAL_PERSISTENCE=postgres) rather than temporaltest's SQLite.
func TestGrassrootsOnPostgresPersistence(t *testing.T) {
	if os.Getenv(temporalOnPostgres) != "" {
		t.Skip("this is the child run")
	}
	if testing.Short() {
		t.Skip("starts a second Temporal server")
	}
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.timeout=10m",
		"-test.run=^(TestGrassrootsGrantFromRegistrationToClosed|TestGrassrootsDeclined|TestGrassrootsSecondAssessmentAfterInformationRequest)$", "-test.v")
	cmd.Env = append(os.Environ(), temporalOnPostgres+"=postgres", "GRANTFLOW_RECORD_HISTORIES=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the grassroots journeys on PostgreSQL persistence failed: %v\n%s", err, out)
	}
	// A child that ran nothing would pass too: each journey must have run and passed.
	for _, name := range []string{"TestGrassrootsGrantFromRegistrationToClosed", "TestGrassrootsDeclined", "TestGrassrootsSecondAssessmentAfterInformationRequest"} {
		if !strings.Contains(string(out), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass on PostgreSQL persistence:\n%s", name, out)
		}
	}
	t.Logf("grassroots journeys on PostgreSQL persistence passed in %v", time.Since(start).Round(time.Second))
}
