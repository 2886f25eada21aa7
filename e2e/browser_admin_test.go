package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// An office runs its own programme, all in the browser. The administrator signs in with their
// second factor, creates a new grassroots scheme with its rules, opens a round for it and sets this
// financial year's budget; invites an officer, whose invitation arrives at the SMTP server; the
// officer sets a password from the e-mailed link, sets up their authenticator app from the key the
// page shows and keeps their recovery codes. An applicant applies to the new scheme's round, the
// assessor scores it on the new scheme's criteria, and the new officer approves it within the new
// scheme's delegation band, beside the budget the administrator set; the applicant sees the offer.
// The administrator's audit trail shows each of their acts.
func TestBrowserAdminRunsANewScheme(t *testing.T) {
	sys := newSystem(t)
	mail := sys.startMail(t)
	b := newBrowser(t, sys, "admin")
	now := time.Now().In(scheme.London)
	fy := scheme.FinancialYearLabel(scheme.FinancialYear(now))
	const fund = "Safer Streets Small Grants"
	admin := account{Role: "admin", Email: "admin@opcc.example.org", Password: demo.Password, Home: "/work"}

	// The administrator creates the scheme with its rules.
	signIn(b, admin)
	b.follow("Manage schemes")
	b.see("Manage schemes", "Grassroots Community Fund")
	b.press("Create a scheme", http.StatusOK)
	b.see("Create a scheme")
	b.press("Create scheme", http.StatusUnprocessableEntity) // nothing filled in yet
	b.see("There is a problem", "Name is required", "Reference prefix is required")
	createScheme(b, fund)
	b.see("Scheme created", "Its rules are version 1", fund, "safer-streets-small-grants", "£1,000.00", "£6,000.00", "12 months",
		"Melton (E07000133)", "Rutland (E06000017)", "Melton: Melton Egerton", "Need in the area (need): 40%",
		"Safer streets officer (Commissioning Officer): up to £4,500.00", "Constituted community group", "Anti-social behaviour")
	b.follow("Back to schemes")
	if row := b.rowText(fund); !strings.Contains(row, "£1,000.00 to £6,000.00") || !strings.Contains(row, "1") {
		t.Errorf("the new scheme is listed as %q", row)
	}

	// It opens a round from the scheme's rounds page (reached from its budget on the work queues).
	b.follow("Work queues")
	b.follow(fund + " budget")
	b.see("Budget by financial year", "This scheme has no budget set for any financial year.")
	b.follow("Funding rounds of this scheme")
	b.see("Funding rounds", fund, "This scheme has no rounds yet.")
	b.press("Open a new round", http.StatusOK)
	opens, closes := now.Add(-time.Hour), now.AddDate(0, 1, 0)
	roundName := fmt.Sprintf("%s first round", scheme.FinancialYearLabel(scheme.FinancialYear(now)))
	guidance := "Projects in Melton and Rutland that make streets safer after dark."
	b.fill("Round name", roundName)
	b.fillDate("Date the round opens", opens)
	b.fill("Time the round opens", opens.Format("15:04"))
	b.fillDate("Date the round closes", closes)
	b.fill("Time the round closes", "23:59")
	b.fill("Guidance for applicants (optional)", guidance)
	b.press("Open the round", http.StatusOK)
	b.see("The round has been set up", roundName, guidance)
	b.reloadUntil("Open")
	if got := b.summary("Closes"); !strings.Contains(got, closes.Format("2 January 2006")) || !strings.Contains(got, "11:59pm") {
		t.Errorf("the round closes %q, want 11:59pm on %s", got, closes.Format("2 January 2006"))
	}
	b.follow("Back to the funding rounds")
	if row := b.rowText(roundName); !strings.Contains(row, "Open") {
		t.Errorf("the round is listed as %q", row)
	}

	// It sets this financial year's budget, with a reason.
	b.follow("Back to the scheme’s budget")
	b.choose("Financial year", fy)
	b.fill("Budget for the year", "50,000")
	b.fill("Why is the budget being set or changed?", "The Commissioner's board agreed £50,000 for safer streets this year.")
	b.press("Save the budget", http.StatusOK)
	b.see("The budget has been saved", "The Commissioner's board agreed £50,000 for safer streets this year.", "Ada Admin")
	if row := b.rowText(fy); !strings.Contains(row, "£50,000.00") {
		t.Errorf("the budget for %s is shown as %q", fy, row)
	}

	// It invites an officer.
	officer := person{Name: "Nia Newcombe", Email: "nia.newcombe@opcc.example.org", Password: "lamp post river orchard"}
	b.follow("Manage people")
	b.press("Invite a member of staff", http.StatusOK)
	b.fill("Full name", officer.Name)
	b.fill("Email address", officer.Email)
	b.choose("Role", "Commissioning Officer")
	b.fill("Reason (optional)", "Joins to run the Safer Streets Small Grants")
	b.press("Send invitation", http.StatusOK)
	b.see(officer.Name, officer.Email, "Invited")

	// The audit trail shows each act.
	b.follow("Audit trail")
	b.see("Audit trail", "scheme.created", "round.opened", "budget.set", "user.invited", fund, officer.Name,
		"The Commissioner's board agreed £50,000 for safer streets this year.", "Joins to run the Safer Streets Small Grants")
	signOut(b)

	// The officer follows the e-mailed link, sets a password, signs in and sets up their second factor.
	b.as("new-officer")
	b.visit(mail.mailedLink(t, officer.Email, "/invitations/"))
	b.see("Set your password", officer.Email)
	b.fill("Password", officer.Password)
	b.fill("Type the password again", officer.Password)
	b.press("Set password", http.StatusOK)
	b.see("Your password has been set")
	b.follow("Sign in")
	b.fill("Email address", officer.Email)
	b.fill("Password", officer.Password)
	b.press("Sign in", http.StatusOK)
	if got := b.path(); got != "/sign-in/enrol" {
		t.Fatalf("the new officer's first sign-in led to %s, want the second factor's set-up:\n%s", got, b.pageText())
	}
	b.see("Set up your authenticator app", "Staff sign in with a second factor")
	run(b, "opening the key", chromedp.Click(`//summary[normalize-space()='I cannot scan the QR code']`))
	// The key is shown in groups of four, as an app takes it typed in.
	secret := strings.Join(strings.Fields(run(b, "reading the key", chromedp.Text(`//*[@id='secret']`))), "")
	if len(secret) < 16 {
		t.Fatalf("the set-up page shows the key %q", secret)
	}
	b.fill("Code from the app", totpCode(t, sys, secret))
	b.press("Continue", http.StatusOK)
	b.see("Your authenticator app is set up", "Save your recovery codes", "This is the only time these codes are shown")
	codes := strings.Fields(run(b, "reading the recovery codes", chromedp.Text(`//*[@id='recovery-codes']`)))
	if len(codes) != 10 {
		t.Errorf("the recovery codes shown: %q, want 10", codes)
	}
	b.follow("I have saved my recovery codes")
	if got := b.path(); got != "/work" {
		t.Fatalf("after the recovery codes the officer is at %s, want their work queues", got)
	}
	b.see("Work queues")
	signOut(b)

	// The applicant applies to the new scheme's round.
	applicant := account{Role: "applicant", Email: demo.Accounts[0].Email, Password: demo.Password, Home: "/applications"}
	p := project{Fund: fund, OrganisationType: "Constituted community group",
		Title: "Egerton lit walkways", Purpose: "Volunteer street marshals on the Egerton estate's walkways on winter evenings.",
		Amount: "4,250.00", Start: now.AddDate(0, 1, 0), End: now.AddDate(0, 10, 0), Area: "Melton", Priority: "Anti-social behaviour"}
	signIn(b, applicant)
	b.follow("Funding")
	b.see(fund, "£1,000.00 to £6,000.00")
	b.press("Start an application to the "+fund, http.StatusOK)
	b.see(fund)
	fillApplication(b, p)
	b.press("Save and come back later", http.StatusOK)
	b.see("Your answers have been saved")
	completeTaskList(b, p)
	b.follow("Back to your application")
	b.see("Guidance for this round", guidance)
	b.follow("Check answers and submit")
	b.press("Accept and submit application", http.StatusOK)
	b.see("Application submitted", "Your reference number", "We have received your application to the "+fund)
	b.follow("Your applications")
	b.reloadUntil("Being assessed")
	if row := b.rowText(p.Title); !strings.Contains(row, fund) || !strings.Contains(row, "£4,250.00") {
		t.Errorf("the submitted application is listed as %q", row)
	}
	signOut(b)

	// The assessor scores it on the new scheme's criteria.
	signIn(b, assessorAccount)
	openFromQueue(b, "Awaiting your scores", p.Title)
	marks := scoring{Recommendation: "Fund", Comment: "Well placed volunteers where the evening reports are."}
	for _, c := range []string{"Need in the area", "Plan and delivery", "Value for money"} {
		marks.Criteria = append(marks.Criteria, criterionScore{Criterion: c, Score: 4, Why: c + ": clear and well evidenced."})
	}
	assess(b, marks)
	b.see("Your assessment has been recorded", "Weighted score")
	b.reloadUntil("Awaiting decision")
	signOut(b)

	// The new officer signs in with their second factor and approves within the new scheme's band.
	signInWithSecret(b, sys, officer, secret)
	openFromQueue(b, "Decision", p.Title)
	b.see("Decide on the application", "Alex Assessor", marks.Comment)
	decisionContext(b, fund, "£4,250.00", "Safer streets officer", "£4,500.00", "£50,000.00", now)
	grant := approval{Amount: "4,000.00", Purpose: "Street marshals on the Egerton walkways.",
		Conditions: "Acknowledge the Commissioner's funding in publicity",
		Reasons:    "Evening anti-social behaviour on the walkways has doubled."}
	approve(b, grant)
	b.see("The decision has been recorded")
	b.reloadUntil("Offer made")
	signOut(b)

	// The applicant sees the offer.
	signIn(b, applicant)
	b.follow(p.Title)
	b.see("Your offer", "£4,000.00", grant.Purpose, "Acknowledge the Commissioner's funding in publicity")
}

// createScheme fills in the new scheme's form: a grassroots scheme for two areas with a ward, three
// criteria adding up to 100%, three delegation bands and its timetables.
func createScheme(b *browser, name string) {
	b.t.Helper()
	b.fill("Name", name)
	b.fill("Description", "Small grants for projects that make streets in Melton and Rutland safer after dark.")
	b.choose("Kind of scheme", "Grassroots")
	b.fill("Reference prefix", "SSG")
	b.fill("Cost centre", "OPCC-SSG-4420")
	b.fill("Minimum amount", "1,000")
	b.fill("Maximum amount", "6,000")
	b.fill("Longest a project may run", "12")
	b.choose("Organisation types that may apply", "Constituted community group")
	b.choose("Organisation types that may apply", "Registered charity")
	b.fill("Police and Crime Plan priorities", "Anti-social behaviour\nNight-time economy\nRural crime")
	for i, a := range [][2]string{{"Melton", "E07000133"}, {"Rutland", "E06000017"}} {
		b.fill(fmt.Sprintf("Area for area %d", i+1), a[0])
		b.fill(fmt.Sprintf("ONS code for area %d", i+1), a[1])
	}
	b.fill("Area for ward 1", "Melton")
	b.fill("Ward for ward 1", "Melton Egerton")
	for i, c := range []struct{ key, name, weight, minimum string }{
		{"need", "Need in the area", "40", "0"}, {"delivery", "Plan and delivery", "35", "2"}, {"value", "Value for money", "25", "0"}} {
		b.fill(fmt.Sprintf("Key for criterion %d", i+1), c.key)
		b.fill(fmt.Sprintf("Criterion for criterion %d", i+1), c.name)
		b.fill(fmt.Sprintf("Weight (%%) for criterion %d", i+1), c.weight)
		b.fill(fmt.Sprintf("Minimum score for criterion %d", i+1), c.minimum)
	}
	for i, band := range []struct{ role, title, upTo string }{
		{"Commissioning Officer", "Safer streets officer", "4,500"}, {"Head of Commissioning", "Head of commissioning", "20,000"},
		{"Police and Crime Commissioner", "Police and Crime Commissioner", ""}} {
		b.selectOption(fmt.Sprintf("Role for band %d", i+1), band.role)
		b.fill(fmt.Sprintf("Title for band %d", i+1), band.title)
		if band.upTo != "" {
			b.fill(fmt.Sprintf("Up to (£) for band %d", i+1), band.upTo)
		}
	}
	b.fill("Signatory", "Rupert Matthews, Police and Crime Commissioner")
	b.fill("Hours after a round closes that its drafts may still be submitted", "24")
	b.fill("Days to accept an offer", "28")
	b.fill("Days before the acceptance deadline the applicant is reminded", "7")
	b.fill("Months after the project ends that its report is due", "3")
	b.fill("Days before a report is due the group is reminded", "14")
	b.press("Create scheme", http.StatusOK)
}

// selectOption chooses the option with this text in the drop-down list with this label.
func (b *browser) selectOption(label, text string) {
	b.t.Helper()
	sel := fmt.Sprintf(`%s//select[@id=%s//label[normalize-space()=%s]/@for]`, b.scope, b.scope, xpathString(label))
	value := run(b, "reading "+text, chromedp.JavascriptAttribute[string](fmt.Sprintf(`%s/option[normalize-space()=%s]`, sel, xpathString(text)), "value"))
	run(b, "choosing "+text+" in "+label, chromedp.SetValue(sel, value))
}

// totpCode is the code an authenticator app set up with the secret shows, for a fresh 30-second
// step of the clock the system checks codes against (see system.nextCode).
func totpCode(t *testing.T, sys *system, secret string) string {
	t.Helper()
	at := time.Now().Add(time.Duration(sys.totpOffset.Add(int64(30 * time.Second))))
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// signInWithSecret signs a member of staff in with their password and a code from their own
// authenticator app (set up with secret), landing on their work queues.
func signInWithSecret(b *browser, sys *system, p person, secret string) {
	b.t.Helper()
	b.as("new-officer")
	b.visit("/sign-in")
	b.fill("Email address", p.Email)
	b.fill("Password", p.Password)
	b.press("Sign in", http.StatusOK)
	if got := b.path(); got != "/sign-in/code" {
		b.t.Fatalf("signing in as %s led to %s, want the code page:\n%s", p.Email, got, b.pageText())
	}
	b.fill("Code", totpCode(b.t, sys, secret))
	b.press("Continue", http.StatusOK)
	if got := b.path(); got != "/work" {
		b.t.Fatalf("signing in as %s with a code led to %s, want /work:\n%s", p.Email, got, b.pageText())
	}
}
