package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// Journeys through the web pages in headless Chromium (see browser_helpers_test.go). Each step is
// a small function of what a person does, so other journeys can reuse them.

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

// account is someone who signs in, and the page they land on.
type account struct {
	Role, Email, Password, Home string
}

// The demo staff (internal/demo) who take a grassroots grant from assessment to payment.
var (
	assessorAccount = account{Role: "assessor", Email: "assessor@opcc.example.org", Password: demo.Password, Home: "/work"}
	officerAccount  = account{Role: "officer", Email: "officer@opcc.example.org", Password: demo.Password, Home: "/work"}
	financeAccount  = account{Role: "finance", Email: "finance@opcc.example.org", Password: demo.Password, Home: "/finance"}
	finance2Account = account{Role: "finance", Email: "finance2@opcc.example.org", Password: demo.Password, Home: "/finance"}
)

// scoring is an assessor's scores: one for each criterion, in the scheme's order, with why.
type scoring struct {
	Criteria       []criterionScore
	Recommendation string // as labelled: "Fund" or "Do not fund"
	Comment        string
}

type criterionScore struct {
	Criterion string // its name, which is the legend of its scores
	Score     int
	Why       string
}

// approval is an officer's approval of a grant.
type approval struct {
	Amount, Purpose, Conditions, Reasons string // Conditions one on each line
}

// paymentRecord is what finance records.
type paymentRecord struct {
	Amount, Reference string
	PaidOn            time.Time
}

// A grassroots grant from start to finish, all in the browser. An applicant finds the funding,
// checks they can apply, presses "Start an application", registers their organisation on the way and
// lands on the form, saves it, signs out, comes back and submits it, sees the confirmation, and then
// sees it being assessed. No address is typed after the home page. The assessor finds it in their queue (the
// eligibility screening was automatic: its outcome is on the history) and scores it; an officer
// reads the delegation and the budget left beside the decision form and approves a grant within
// their band; the applicant reads the offer, accepts it and downloads the award letter; two members
// of finance propose and approve the payment and mark it paid, and the applicant sees it was paid.
func TestBrowserGrassrootsJourney(t *testing.T) {
	sys := newSystem(t)
	b := newBrowser(t, sys, "grassroots")
	_, round := sys.grassrootsRound(t, "")
	org := organisation{Name: "Hilltop Tenants' Association", Type: "Registered charity", CharityNumber: "1187654",
		Address: "3 Hill Street\nMelton Mowbray", Postcode: "LE13 1AB"}
	me := person{Name: "Sam Example", Email: "sam@hilltop.example.org", Password: "three words remembered"}
	applicant := account{Role: "applicant", Email: me.Email, Password: me.Password, Home: "/applications"}
	p := project{Fund: "Grassroots Community Fund", OrganisationType: "Registered charity",
		Title: "Hilltop safer evenings", Purpose: "Evening youth sessions on the estate, run with the neighbourhood police team.",
		Amount: "4,250.00", Start: time.Now().AddDate(0, 1, 0), End: time.Now().AddDate(0, 10, 0),
		Area: "Melton", Priority: "Anti-social behaviour"}
	today := time.Now().In(scheme.London)

	// The applicant applies.
	b.as(applicant.Role)
	b.visit("/")
	b.see("Funding you can apply for", "Grassroots Community Fund", "£500.00 to £5,000.00")
	b.press("Check if you can apply to the Grassroots Community Fund", http.StatusOK)
	b.press("Check", http.StatusUnprocessableEntity) // nothing answered yet
	b.see("There is a problem", "Select the type of organisation that is applying")
	checkEligibility(b, p)
	b.see("You can apply to the Grassroots Community Fund")

	// From the funding page, the start leads through registration straight to the form.
	b.follow("Funding")
	b.press("Start an application to the Grassroots Community Fund", http.StatusOK)
	b.see("Sign in", "register your organisation")
	b.follow("register your organisation")
	register(b, org, me)
	if got := b.path(); got != fmt.Sprintf("/applications/new?round=%d", int64(round)) {
		t.Fatalf("registering from the start led to %s, want the application form", got)
	}
	b.see("Start your application", p.Fund)
	fillApplication(b, p)
	b.press("Save and come back later", http.StatusOK)
	b.see("Your answers have been saved")
	confirmEmail(b, me.Email) // the link e-mailed at registration: submitting waits for it

	signOut(b)
	signIn(b, applicant)
	if row := b.rowText(p.Title); !strings.Contains(row, "Draft") || !strings.Contains(row, "Not submitted") {
		t.Errorf("the saved application is listed as %q", row)
	}
	b.follow(p.Title)
	completeTaskList(b, p)
	b.press("Accept and submit application", http.StatusOK)
	b.see("Application submitted", "Your reference number", "What happens next")
	b.follow("See a copy of what you submitted")
	b.see("as submitted", "Submitted by "+me.Name, "Youth workers — £4,000.00", "Total: £4,250.00", "Sam Lead")
	b.visit("/applications")
	b.reloadUntil("Being assessed")
	if row := b.rowText(p.Title); !strings.Contains(row, p.Fund) || !strings.Contains(row, "£4,250.00") || !strings.Contains(row, today.Format("2 January 2006")) {
		t.Errorf("the submitted application is listed as %q, want the fund, £4,250.00 and submitted %s", row, today.Format("2 January 2006"))
	}
	signOut(b)

	// The assessor scores it.
	signIn(b, assessorAccount)
	screenedAutomatically(b, p.Title)
	if note := openFromQueue(b, "Awaiting your scores", p.Title); !strings.Contains(note, "Score the application") {
		t.Errorf("the assessor's queue lists the application as %q", note)
	}
	b.see("Eligibility screening started", "Eligible: ready for assessment", "All eligibility checks passed.")
	var marks scoring
	for i, c := range demo.Criteria {
		marks.Criteria = append(marks.Criteria, criterionScore{Criterion: c.Name, Score: 4 - i%2,
			Why: fmt.Sprintf("%s: well evidenced for a small estate project.", c.Name)})
	}
	marks.Recommendation, marks.Comment = "Fund", "A small, well-run project in an anti-social behaviour hotspot."
	assess(b, marks)
	b.see("Your assessment has been recorded", "Weighted score", marks.Criteria[0].Why)
	b.reloadUntil("Awaiting decision")
	signOut(b)

	// An officer approves a grant within their band.
	signIn(b, officerAccount)
	openFromQueue(b, "Decision", p.Title)
	b.see("Decide on the application", "Alex Assessor", marks.Comment)
	decisionContext(b, p.Fund, "£4,250.00", "Commissioning officer", "£5,000.00", "£150,000.00", today)
	if got := b.value("Amount to award"); got != p.Amount {
		t.Errorf("the amount to award starts at %q, want the %s requested", got, p.Amount)
	}
	grant := approval{Amount: "4,000.00", Purpose: "Evening youth sessions on the Hilltop estate.",
		Conditions: "Acknowledge the Commissioner's funding in publicity\nKeep an up-to-date safeguarding policy",
		Reasons:    "Targets anti-social behaviour on the estate identified by the neighbourhood policing team."}
	approve(b, grant)
	b.see("The decision has been recorded")
	b.reloadUntil("Offer made")
	signOut(b)

	// The applicant accepts the offer and downloads the award letter.
	signIn(b, applicant)
	b.follow(p.Title)
	b.see("Your offer", "£4,000.00", grant.Purpose, "Acknowledge the Commissioner's funding in publicity", "Keep an up-to-date safeguarding policy",
		"Read the full terms before you accept:", "Award letter (PDF)")
	acceptOffer(b, "I confirm that I have read the award letter and accept the offer and its terms and conditions on behalf of "+org.Name)
	b.see("You have accepted the offer")
	b.reloadUntil("Offer accepted")
	b.see("Finance will make the payment.")
	ref := b.summary("Reference")
	if !strings.HasPrefix(ref, "GCF-") {
		t.Fatalf("the award's reference is %q", ref)
	}
	name, letter := b.download("Award letter (PDF)")
	if !strings.HasSuffix(name, ".pdf") || !strings.Contains(name, ref) {
		t.Errorf("the award letter downloads as %q, want a .pdf named for %s", name, ref)
	}
	if !bytes.HasPrefix(letter, []byte("%PDF-")) {
		t.Errorf("the award letter is not a PDF: it starts %q", letter[:min(len(letter), 16)])
	}
	t.Logf("the award letter downloaded as %s (%d bytes)", name, len(letter))
	signOut(b)

	// Two people in finance pay it: one proposes it, the other approves it, and once the bank has
	// paid it, it is marked paid with the bank's reference.
	payment := ref + ": One-off grant, £4,000.00 to " + org.Name
	signIn(b, financeAccount)
	b.choose("Payments to propose", payment)
	b.press("Propose for payment", http.StatusOK)
	b.see("Payments proposed", "Proposed")
	b.follow("Go back to payments and notices")
	b.see("Payments you proposed", "You proposed this payment, so another member of finance must approve it.")
	signOut(b)
	signIn(b, finance2Account)
	b.choose("Proposed payments to approve", payment)
	b.press("Approve", http.StatusOK)
	b.see("Payments approved", "Approved")
	b.follow("Go back to payments and notices")
	paid := paymentRecord{Amount: "4,000.00", Reference: "BACS-" + today.Format("20060102") + "-HILLTOP", PaidOn: today}
	b.choose("Approved payments the bank has paid", payment)
	b.fill("Payment reference", paid.Reference)
	b.fillDate("Date paid", paid.PaidOn)
	b.press("Mark as paid", http.StatusOK)
	b.see("Payments marked as paid", ref, "One-off grant", org.Name, "£4,000.00", "Paid") // a column each
	signOut(b)

	// The applicant sees the grant paid.
	signIn(b, applicant)
	if row := b.rowText(p.Title); !strings.Contains(row, "Paid") {
		t.Errorf("the paid grant is listed as %q", row)
	}
	b.follow(p.Title)
	b.see("Paid", "The grant has been paid.")
	b.within(`//table[caption[normalize-space()='Payments made']]`, func() {
		if row := b.rowText(today.Format("2 January 2006")); !strings.Contains(row, paid.Reference) || !strings.Contains(row, "£4,000.00") {
			t.Errorf("the payment is shown as %q, want %s and £4,000.00", row, paid.Reference)
		}
	})
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

// completeTaskList answers the rest of the grassroots form from its project details page, one
// section of the task list at a time, and opens the check-answers page. The budget is first
// entered £250 short, which its page points out.
func completeTaskList(b *browser, p project) {
	b.t.Helper()
	b.follow("Continue to the rest of your application")
	b.see("Your application", "Project details", "Completed", "Cannot start yet")
	section := func(title string, answer func()) {
		b.t.Helper()
		b.follow(title)
		answer()
		b.press("Save and return to your application", http.StatusOK)
		b.see("Your answers to " + title + " have been saved")
	}
	section("About the project", func() {
		b.fill("Describe the project", "Two evening sessions a week on the estate.")
		b.fill("Why is the project needed?", "Evening reports of anti-social behaviour have doubled.")
		b.fill("What evidence shows the need?", "Neighbourhood policing figures and a residents' survey.")
	})
	section("Who will benefit", func() {
		b.fill("How many people will benefit?", "80")
		b.fill("How many of them are under 25?", "60")
		b.choose("Which age groups will benefit?", "11 to 17")
		b.choose("Which wards will the project serve?", "Melton: Melton Egerton")
	})
	section("Outcomes", func() {
		b.fill("Outcome (outcome 1)", "Fewer evening reports of anti-social behaviour")
		b.fill("How you will know (outcome 1)", "Police figures each quarter")
	})
	section("Budget", func() {
		b.fill("Item (budget line 1)", "Youth workers")
		b.fill("Cost (budget line 1)", "4,000")
	})
	b.follow("Budget")
	b.see("Your budget lines add up to £4,000.00", "You are applying for £4,250.00", "They must be the same before you submit")
	b.fill("Item (budget line 2)", "Sports kit")
	b.fill("Cost (budget line 2)", "250")
	b.press("Save and return to your application", http.StatusOK)
	section("Other funding", func() { b.choose("Have you applied for or secured other funding for this project?", "No") })
	section("Safeguarding", func() {
		b.choose("Does your organisation have a safeguarding policy?", "Yes")
		b.fill("Who is your named safeguarding lead?", "Sam Lead")
	})
	section("Declarations", func() {
		for _, d := range []string{"The information in this application is true and complete to the best of my knowledge",
			"Any grant will be spent only on the project described, and unspent money returned",
			"I am authorised to apply on behalf of the organisation",
			"I agree that the Office of the Police and Crime Commissioner may process the information in this application to assess it, administer any grant and meet its legal duties"} {
			b.choose(d, "I confirm")
		}
	})
	b.follow("Check answers and submit")
	b.see("Check your answers before submitting your application", "Youth workers — £4,000.00", "Sports kit — £250.00", "Total: £4,250.00")
}

// signIn signs in from the sign-in page and lands on the account's home: an applicant's
// applications, staff's work queues, finance's payments.
func signIn(b *browser, a account) {
	b.t.Helper()
	b.as(a.Role)
	b.visit("/sign-in")
	b.fill("Email address", a.Email)
	b.fill("Password", a.Password)
	b.press("Sign in", http.StatusOK)
	if b.path() == "/sign-in/code" { // staff: the code from their authenticator (the demo secret's)
		b.fill("Code", b.sys.nextCode(b.t))
		b.press("Continue", http.StatusOK)
	}
	if got := b.path(); got != a.Home {
		b.t.Fatalf("signing in as %s led to %s, want %s:\n%s", a.Email, got, a.Home, b.pageText())
	}
}

// signOut signs out from the sign-out page.
func signOut(b *browser) {
	b.t.Helper()
	b.visit("/sign-out")
	b.press("Sign out", http.StatusOK)
	b.see("You have signed out")
}

// queueRegion is the XPath of the work queue with this heading on the work queues page.
func queueRegion(heading string) string {
	return fmt.Sprintf(`//div[contains(@class, 'govuk-grid-column-full')][h2[normalize-space()=%s]]`, xpathString(heading))
}

// screenedAutomatically checks, on the work queues, that the application is not awaiting
// screening: the eligibility screening is the workflow's, with no step for staff.
func screenedAutomatically(b *browser, title string) {
	b.t.Helper()
	b.see("Work queues", "Awaiting screening (0)")
	b.within(queueRegion("Awaiting screening"), func() { b.see("No applications are awaiting screening.") })
	if strings.Contains(run(b, "reading the screening queue", chromedp.Text(queueRegion("Awaiting screening"))), title) {
		b.t.Errorf("%q is still awaiting screening", title)
	}
}

// openFromQueue opens the application from the work queue with this heading, and says what the
// queue said it needs.
func openFromQueue(b *browser, heading, title string) string {
	b.t.Helper()
	var row string
	b.within(queueRegion(heading), func() {
		row = b.rowText(title)
		b.follow(title)
	})
	b.see(title)
	return row
}

// assess fills in the scoring form, declaring no conflict of interest, and submits it.
func assess(b *browser, s scoring) {
	b.t.Helper()
	b.see("Score the application")
	b.choose("Conflict of interest", "I have no conflict of interest in this application")
	for _, c := range s.Criteria {
		b.choose(c.Criterion, strconv.Itoa(c.Score))
		b.fill("Why "+c.Criterion+" scores as it does", c.Why)
	}
	b.choose("Do you recommend funding the application?", s.Recommendation)
	b.fill("Comment (optional)", s.Comment)
	b.press("Submit your scores", http.StatusOK)
}

// decisionContext checks what the decision form sets beside it: the delegation bands, which band
// the amount requested falls in and how far this person may approve, and the budget left this
// financial year against what the application asks.
func decisionContext(b *browser, fund, requested, band, limit, budget string, now time.Time) {
	b.t.Helper()
	b.see("Delegated authority", "The full amount requested ("+requested+") falls in the "+band+" band.",
		"You may approve awards up to "+limit+".")
	if got := b.summary(band); got != "Up to "+limit {
		b.t.Errorf("the %s band is shown as %q, want up to %s", band, got, limit)
	}
	b.within(fmt.Sprintf(`//table[caption[normalize-space()=%s]]`, xpathString("Budget left in the "+fund)), func() {
		year := scheme.FinancialYearLabel(scheme.FinancialYear(now))
		if row := b.rowText(year); !strings.Contains(row, budget) || !strings.Contains(row, requested) {
			b.t.Errorf("the budget for %s is shown as %q, want %s and this application's %s", year, row, budget, requested)
		}
	})
}

// approve fills in the approval form and sends it.
func approve(b *browser, a approval) {
	b.t.Helper()
	b.fill("Amount to award", a.Amount)
	b.fill("What the grant is for", a.Purpose)
	b.fill("Conditions of grant", a.Conditions)
	b.fill("Why the grant will help reduce crime and disorder", a.Reasons)
	b.choose("Conflict of interest", "I have no conflict of interest in this application") // the approval form's, the first on the page
	b.press("Approve the grant", http.StatusOK)
}

// acceptOffer gives the bank details, ticks the confirmation and accepts the offer.
func acceptOffer(b *browser, confirmation string) {
	b.t.Helper()
	b.fill("Name on the account", "Riverside Youth Project")
	b.fill("Sort code", "08-99-99")
	b.fill("Account number", "66374958")
	b.choose("Accept the offer", confirmation)
	b.press("Accept the offer", http.StatusOK)
}
