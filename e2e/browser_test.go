package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// Journeys through the web pages in headless Chromium (see browser_helpers_test.go). Each step is
// a small function of what a person does, so later journeys (an officer's, finance's) reuse them.

// organisation and person are what someone registers.
type organisation struct {
	Name, Type, CharityNumber, Address, Postcode string
}

type person struct {
	Name, Email, Password string
}

// project is what an applicant tells the eligibility check and then the application form.
type project struct {
	Fund, OrganisationType string
	Title, Purpose         string
	Amount                 string // as typed, in pounds
	Start, End             time.Time
	Area, Priority         string
}

// An applicant finds the funding, checks they can apply, registers their organisation, starts an
// application, saves it, signs out, comes back and submits it, and sees it being assessed.
func TestBrowserApplicantJourney(t *testing.T) {
	sys := newSystem(t)
	b := newBrowser(t, sys, "applicant")
	_, round := sys.grassrootsRound(t, "")
	org := organisation{Name: "Hilltop Tenants' Association", Type: "Registered charity", CharityNumber: "1187654",
		Address: "3 Hill Street\nMelton Mowbray", Postcode: "LE13 1AB"}
	me := person{Name: "Sam Example", Email: "sam@hilltop.example.org", Password: "three words remembered"}
	p := project{Fund: "Grassroots Community Fund", OrganisationType: "Registered charity",
		Title: "Hilltop safer evenings", Purpose: "Evening youth sessions on the estate, run with the neighbourhood police team.",
		Amount: "4,250.00", Start: time.Now().AddDate(0, 1, 0), End: time.Now().AddDate(0, 10, 0),
		Area: "Melton", Priority: "Anti-social behaviour"}

	b.visit("/")
	b.see("Funding you can apply for", "Grassroots Community Fund", "£500.00 to £5,000.00")
	b.press("Check if you can apply to the Grassroots Community Fund", http.StatusOK)
	b.press("Check", http.StatusUnprocessableEntity) // nothing answered yet
	b.see("There is a problem", "Select the type of organisation that is applying")
	checkEligibility(b, p)
	b.see("You can apply to the Grassroots Community Fund")

	b.follow("register your organisation")
	register(b, org, me)
	b.see("Your organisation is registered and you are signed in", "Your organisation has no applications yet")

	b.visit(fmt.Sprintf("/applications/new?round=%d", int64(round)))
	fillApplication(b, p)
	b.press("Save and come back later", http.StatusOK)
	b.see("Your answers have been saved")
	draft, _, _ := strings.Cut(b.path(), "?")

	signOut(b)
	signIn(b, me.Email, me.Password)
	if row := b.rowText(p.Title); !strings.Contains(row, "Draft") || !strings.Contains(row, "Not submitted") {
		t.Errorf("the saved application is listed as %q", row)
	}
	b.visit(draft)
	b.press("Submit application", http.StatusOK)
	b.reloadUntil("Being assessed")
	today := time.Now().In(scheme.London).Format("2 January 2006")
	if row := b.rowText(p.Title); !strings.Contains(row, p.Fund) || !strings.Contains(row, "£4,250.00") || !strings.Contains(row, today) {
		t.Errorf("the submitted application is listed as %q, want the fund, £4,250.00 and submitted %s", row, today)
	}
}

// checkEligibility answers the eligibility check's questions and asks for the answer.
func checkEligibility(b *browser, p project) {
	b.t.Helper()
	b.choose("Which fund do you want to apply to?", p.Fund)
	b.choose("What type of organisation is applying?", p.OrganisationType)
	b.choose("Which areas will the project serve?", p.Area)
	b.choose("Which Police and Crime Plan priorities will the project address?", p.Priority)
	b.fill("How much do you want to apply for?", strings.TrimSuffix(p.Amount, ".00"))
	b.fillDate("When will the project start?", p.Start)
	b.fillDate("When will the project end?", p.End)
	b.press("Check", http.StatusOK)
}

// register fills in the registration form, which signs the person in.
func register(b *browser, o organisation, p person) {
	b.t.Helper()
	b.fill("Organisation name", o.Name)
	b.choose("Type of organisation", o.Type)
	if o.CharityNumber != "" {
		b.fill("Charity number", o.CharityNumber)
	}
	b.fill("Address", o.Address)
	b.fill("Postcode", o.Postcode)
	b.fill("Your full name", p.Name)
	b.fill("Email address", p.Email)
	b.fill("Password", p.Password)
	b.press("Register", http.StatusOK)
}

// fillApplication answers the grassroots application form (not saved yet).
func fillApplication(b *browser, p project) {
	b.t.Helper()
	b.fill("Project title", p.Title)
	b.fill("What the money is for", p.Purpose)
	b.fill("How much do you want to apply for?", p.Amount)
	b.fillDate("When will the project start?", p.Start)
	b.fillDate("When will the project end?", p.End)
	b.choose("Which areas will the project serve?", p.Area)
	b.choose("Which Police and Crime Plan priorities will the project address?", p.Priority)
}

// signIn signs in from the sign-in page and lands on the applications page.
func signIn(b *browser, email, password string) {
	b.t.Helper()
	b.visit("/sign-in")
	b.fill("Email address", email)
	b.fill("Password", password)
	b.press("Sign in", http.StatusOK)
	if got := b.path(); got != "/applications" {
		b.t.Fatalf("signing in as %s led to %s:\n%s", email, got, b.pageText())
	}
}

// signOut signs out from the sign-out page.
func signOut(b *browser) {
	b.t.Helper()
	b.visit("/sign-out")
	b.press("Sign out", http.StatusOK)
	b.see("You have signed out")
}
