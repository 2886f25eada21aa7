package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"grantflow/internal/demo"
)

// The pages people use most, on a phone-sized screen (375 by 812, touch, as an iPhone's): each is
// checked as every page is (axe-core, console, screenshot), and none may be wider than the screen,
// which would make people scroll sideways to read or fill it in.
func TestBrowserPagesFitAPhone(t *testing.T) {
	sys := newSystem(t)
	token := sys.signIn(t, demo.Accounts[0].Email, demo.Password)
	id := sys.applyFor(t, token, 300000)
	b := newBrowser(t, sys, "phone")
	run(b, "emulating a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))

	fits := func() {
		t.Helper()
		wide := run(b, "measuring "+b.path(), chromedp.Evaluate[bool](`document.documentElement.scrollWidth > screen.width`))
		if wide {
			t.Errorf("%s is wider than a phone's screen", b.path())
		}
	}
	b.as("visitor")
	for _, path := range []string{"/", "/check", "/register", "/sign-in"} {
		b.visit(path)
		fits()
	}
	signIn(b, account{Role: "applicant", Email: demo.Accounts[0].Email, Password: demo.Password, Home: "/applications"})
	fits()
	b.visit(fmt.Sprintf("/applications/%d", id))
	fits()
	signOut(b)
	signIn(b, account{Role: "officer", Email: "officer@opcc.example.org", Password: demo.Password, Home: "/work"})
	fits()
	b.visit(fmt.Sprintf("/applications/%d", id)) // with the scoring and conflict forms, and the scores table
	fits()
	b.visit("/finance")
	fits()
	b.visit("/performance") // charts drawn as SVG beside their tables
	fits()
}
