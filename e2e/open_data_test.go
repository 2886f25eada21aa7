package e2e

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"

	"grantflow/internal/demo"
	"grantflow/publication/threesixtygiving"
)

// TestOpenDataFilesValidateWithoutSignIn downloads the 360Giving files as someone not signed in,
// before any award (nothing to publish: a page saying so) and after one decided on the real API.
func TestOpenDataFilesValidateWithoutSignIn(t *testing.T) {
	s := newSystem(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return res, string(body)
	}
	if res, body := get("/open-data/360giving.json"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "Nothing published yet") {
		t.Errorf("the package before any award: %d %.200s", res.StatusCode, body)
	}

	s.awardOneGrant(t)

	for _, f := range []struct{ path, contentType, filename string }{
		{threesixtygiving.JSONPath, "application/json", "360giving.json"},
		{threesixtygiving.CSVPath, "text/csv", "360giving.csv"},
	} {
		res, body := get(f.path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), f.contentType) {
			t.Fatalf("%s: %d %s %.300s", f.path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if kind, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || kind != "attachment" || params["filename"] != f.filename {
			t.Errorf("%s: Content-Disposition %q", f.path, res.Header.Get("Content-Disposition"))
		}
		validate := threesixtygiving.Validate
		if f.filename == "360giving.csv" {
			validate = threesixtygiving.ValidateCSV
		}
		if err := validate(strings.NewReader(body)); err != nil {
			t.Errorf("%s does not validate: %v\n%s", f.path, err, body)
		}
		if !strings.Contains(body, "Riverside Youth Project") || !strings.Contains(body, "2500.00") || !strings.Contains(body, "360G-opcc-example-ORG-") {
			t.Errorf("%s does not say what was decided:\n%s", f.path, body)
		}
	}
	// Link checkers and harvesters ask HEAD of a stable address first: the headers, no body.
	for _, path := range []string{threesixtygiving.JSONPath, threesixtygiving.CSVPath, threesixtygiving.PagePath, "/grants"} {
		res, err := http.Head(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) != 0 || res.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d %q, %d bytes of body", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
	}
	if res, body := get(threesixtygiving.PagePath); res.StatusCode != http.StatusOK || !strings.Contains(body, "Open Government Licence") ||
		!strings.Contains(body, "Creative Commons Attribution 4.0") {
		t.Errorf("the open data page: %d %.300s", res.StatusCode, body)
	}
}

// awardOneGrant has the demo applicant (an unregistered group) apply to the grassroots scheme and
// an officer award it £2,500 on the real API.
func (s *system) awardOneGrant(t *testing.T) {
	t.Helper()
	owner := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	assessor, officer := s.staff(t, "assessor"), s.staff(t, "officer")
	s.grassrootsRound(t, owner)
	id := s.applyFor(t, owner, 250000)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", id), assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/decision", id), officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 250000, "purpose": "Youth work.", "reasons": "Reduces anti-social behaviour.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}})
	s.awaitStatus(t, owner, id, "offered")
}

// The open data page in Chromium, checked by axe-core, and the JSON downloaded from its link.
func TestBrowserOpenData(t *testing.T) {
	s := newSystem(t)
	s.awardOneGrant(t)
	b := newBrowser(t, s, "open-data")
	b.visit("/")
	b.follow("Open data")
	b.see("Open data: grants we have awarded", "Open Government Licence v3.0", "360Giving Data Standard")
	name, body := b.download("360Giving data as JSON")
	if name != "360giving.json" {
		t.Errorf("the download is named %q", name)
	}
	if err := threesixtygiving.Validate(strings.NewReader(string(body))); err != nil {
		t.Errorf("the downloaded package does not validate: %v", err)
	}
}
