package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"grantflow/internal/demo"
	"grantflow/publication"
)

// The closure of a service award in Chromium, each page checked by axe-core and photographed: the
// head of commissioning waives the missing return (first sending the form empty, to see the error
// summary), the officer accepts the final report, the provider reads what to repay, finance finds
// the repayment in its queue and records a part of it, and the head of commissioning writes off the
// rest.
func TestBrowserClosure(t *testing.T) {
	sys := newSystemAt(t, yearStart)
	_, id, _ := sys.underspentFinalReport(t, "Eastgate Advocacy Trust")
	path := fmt.Sprintf("/applications/%d", id)
	b := newBrowser(t, sys, "closure")
	head := account{Role: "head-of-commissioning", Email: "head@opcc.example.org", Password: demo.Password, Home: "/work"}

	signIn(b, head)
	b.visit(path)
	b.see("Monitoring returns still missing", "Q1 2026-27")
	b.press("Waive the returns", http.StatusUnprocessableEntity)
	b.see("There is a problem", "Select the returns to waive")
	b.choose("Which returns are waived?", "Q1 2026-27")
	b.fill("Why may the grant close without them?", "The service stopped in May; the final report covers it.")
	b.press("Waive the returns", http.StatusOK)
	b.see("The missing monitoring returns have been waived")
	signOut(b)

	signIn(b, officerAccount)
	b.visit(path)
	b.choose("Your decision", "Accept")
	b.press("Record your review", http.StatusOK)
	b.reloadUntil("Underspend to repay")
	signOut(b)

	signIn(b, account{Role: "provider", Email: "eastgate@provider.example.org", Password: "a long enough password", Home: "/applications"})
	b.visit(path)
	b.see("Please repay £10,000.00 by 1 May 2026", "Repayment letter (PDF)")
	signOut(b)

	signIn(b, financeAccount)
	b.see("Repayments due", "Eastgate Advocacy Trust", "Recovery notice: underspend to collect")
	b.load("following the repayment due", http.StatusOK, chromedp.Click(fmt.Sprintf(`//a[@href="/applications/%d#repayment-heading"]`, id)))
	b.fill("Amount repaid", "4,000.00")
	b.fillDate("Date received", time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC))
	b.fill("Payment reference", "RTN-1")
	b.press("Record repayment", http.StatusOK)
	b.see("The repayment has been recorded", "£6,000.00")
	signOut(b)

	signIn(b, head)
	b.visit(path)
	b.fill("Why is it written off?", "The trust has dissolved and has no assets.")
	b.press("Write off £6,000.00", http.StatusOK)
	b.see("The amount still owed has been written off", "Closed")
	signOut(b)

	// The public grants register and its monthly publications, as a visitor reads them (with a
	// filter the register cannot take, to see the error summary).
	b.as("visitor")
	b.visit("/grants")
	b.see("Grants we have made", "Eastgate Advocacy Trust", "Download these grants")
	b.load("filtering by a month that does not exist", http.StatusUnprocessableEntity, chromedp.Navigate(b.base+"/grants?month=2026-13"))
	b.see("There is a problem", "Select a month from the list")
	if _, ok, err := (&publication.Publisher{Store: sys.Store}).PublishMonth(context.Background(), yearStart, time.Now()); err != nil || !ok {
		t.Fatalf("publishing April 2026: %v %v", ok, err)
	}
	b.visit("/grants/publications")
	b.see("Monthly publications of the grants register", "REG-2026-04 v1", "April 2026")
}
