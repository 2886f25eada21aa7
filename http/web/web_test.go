package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/http/router"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

func schemeID(t *testing.T, st *store.Store, slug string) int64 {
	t.Helper()
	list, err := st.Schemes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Slug == slug {
			return s.ID
		}
	}
	t.Fatalf("no scheme %s", slug)
	return 0
}

// A person finds the funding, registers their organisation, sees its applications with what to do
// next, signs out, and signs back in.
func TestRegisterSignInSeeApplicationsSignOut(t *testing.T) {
	s := newSite(t)
	b := s.browser()

	home := b.get("/")
	home.mustBe(t, http.StatusOK, "/")
	checkMarkup(t, home)
	home.mustContain(t, "Funding you can apply for", "Grassroots Community Fund", "£500.00 to £5,000.00", "Up to 12 months",
		"Commissioned Services Fund", "£25,000.00 to £500,000.00 a year", "Up to 5 years", "Closing date", "11:59pm on",
		"Constituted community group", "Hinckley and Bosworth", "Domestic violence and abuse")
	home.mustNotContain(t, "Individual", "Political party") // never eligible, so not offered as "who can apply"
	if byID(home.Doc, fmt.Sprintf("scheme-%d", schemeID(t, s.Store, "grassroots"))) == nil {
		t.Error("the grassroots scheme has no section on the home page")
	}

	// Nothing filled in: every field the API would refuse is named, and nothing is created.
	empty := b.fill("/register", "/register", url.Values{"organisation.name": {"Hilltop Tenants' Association"}, "user.password": {"short"}})
	empty.mustBe(t, http.StatusUnprocessableEntity, "/register")
	checkMarkup(t, empty)
	want := []summaryItem{
		{"#organisation-type", "Type of organisation must be one of registered_charity, cio, charitable_company, cic, community_group, individual, political_party, other"},
		{"#organisation-address", "Address is required"},
		{"#organisation-postcode", "Postcode is required"},
		{"#user-name", "Your full name is required"},
		{"#user-email", "Email address must be an e-mail address like name@example.org"},
		{"#user-password", "Password must be at least 10 characters"},
	}
	if got := empty.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("error summary:\n got %v\nwant %v", got, want)
	}
	if v := attr(byID(empty.Doc, "organisation-name"), "value"); v != "Hilltop Tenants' Association" {
		t.Errorf("the organisation name was not kept: %q", v)
	}
	if v := attr(byID(empty.Doc, "user-password"), "value"); v != "" {
		t.Errorf("the password was sent back in the page: %q", v)
	}

	applicant := url.Values{
		"organisation.name": {"Hilltop Tenants' Association"}, "organisation.type": {scheme.OrgCharitableCompany},
		"organisation.company_number": {"01234567"}, "organisation.address": {"2 Hill Road\nMelton Mowbray"}, "organisation.postcode": {"le13 0zz"},
		"user.name": {"Sam Example"}, "user.email": {"sam@hilltop.example.org"}, "user.password": {"correct horse battery"},
	}
	done := b.fill("/register", "/register", applicant)
	done.mustBe(t, http.StatusOK, "/applications?registered=1")
	checkMarkup(t, done)
	done.mustContain(t, "Your organisation is registered and you are signed in", "Hilltop Tenants' Association", "Your applications",
		"Your organisation has no applications yet", "Sign out")
	done.mustNotContain(t, "Register", "Sign in ")
	u, err := s.Store.UserByEmail(context.Background(), "sam@hilltop.example.org")
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.Store.Organisation(context.Background(), u.Organisations[0])
	if err != nil || org.Postcode != "LE13 0ZZ" || org.Type != scheme.OrgCharitableCompany {
		t.Errorf("organisation saved as %+v, %v", org, err)
	}

	// Two applications: a draft and an offer waiting for acceptance.
	ctx := context.Background()
	gcf := schemeID(t, s.Store, "grassroots")
	rounds, _ := s.Store.Rounds(ctx, gcf)
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	draft, err := s.Store.CreateDraft(ctx, org.ID, u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Summer youth club",
		AmountRequested: money.Pounds(2500), ProjectStart: &start})
	if err != nil {
		t.Fatal(err)
	}
	offered, _ := s.Store.CreateDraft(ctx, org.ID, u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Safer streets walk", AmountRequested: money.Pounds(4000)})
	if err := s.Store.RecordEvent(ctx, store.Event{Application: offered, Key: "test-offered", At: time.Now(), ActorName: "test", ActorRole: "system",
		What: "Offer made", Status: string(workflows.StageOffered)}); err != nil {
		t.Fatal(err)
	}
	list := b.get("/applications")
	list.mustBe(t, http.StatusOK, "/applications")
	checkMarkup(t, list)
	row := func(id int64) string {
		return strings.Join(strings.Fields(textOf(byID(list.Doc, fmt.Sprintf("application-%d", id)))), " ")
	}
	if got := row(draft); !strings.Contains(got, "Summer youth club Grassroots Community Fund £2,500.00 Not submitted Draft Finish and submit your application") {
		t.Errorf("draft row: %q", got)
	}
	if got := row(offered); !strings.Contains(got, "Safer streets walk") || !strings.Contains(got, "Offer made Accept the offer of a grant") {
		t.Errorf("offered row: %q", got)
	}

	// Signing out is a button; afterwards the session is gone, even for a copy of its cookie.
	session := cookieValue(t, b, s.URL, "grantflow-session")
	out := b.get("/sign-out")
	out.mustBe(t, http.StatusOK, "/sign-out")
	checkMarkup(t, out)
	out.mustContain(t, "You are signed in as Sam Example")
	gone := b.fill("/sign-out", "/sign-out", nil)
	gone.mustBe(t, http.StatusOK, "/sign-in?signed-out=1")
	gone.mustContain(t, "You have signed out")
	b.get("/applications").mustBe(t, http.StatusOK, "/sign-in")
	thief := s.browser()
	thief.client.Jar.SetCookies(mustURL(s.URL), []*http.Cookie{{Name: "grantflow-session", Value: session}})
	thief.get("/applications").mustBe(t, http.StatusOK, "/sign-in")

	// Back in with the demo applicant: their own organisation's list, not Sam's.
	again := b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})
	again.mustBe(t, http.StatusOK, "/applications")
	again.mustContain(t, "Riverside Youth Project", "Your organisation has no applications yet")
	again.mustNotContain(t, "Summer youth club")
	// Signed in, the sign-in and register pages send people to their applications.
	b.get("/sign-in").mustBe(t, http.StatusOK, "/applications")
	b.get("/register").mustBe(t, http.StatusOK, "/applications")

	// An e-mail address already registered is refused with the API's words.
	dup := s.browser().fill("/register", "/register", applicant)
	dup.mustBe(t, http.StatusUnprocessableEntity, "/register")
	if got := dup.summary(); len(got) != 1 || got[0].Href != "#user-email" || got[0].Message != "Email address: an account with this e-mail already exists; sign in instead" {
		t.Errorf("duplicate registration: %v", got)
	}
}

func cookieValue(t *testing.T, b *browser, base, name string) string {
	t.Helper()
	for _, c := range b.client.Jar.Cookies(mustURL(base)) {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no %s cookie", name)
	return ""
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestSignInMistakesAndThrottling(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	email := demo.Accounts[0].Email

	blank := b.fill("/sign-in", "/sign-in", url.Values{"email": {"  "}})
	blank.mustBe(t, http.StatusUnprocessableEntity, "/sign-in")
	checkMarkup(t, blank)
	if got := fmt.Sprint(blank.summary()); got != "[{#email Enter your email address} {#password Enter your password}]" {
		t.Errorf("summary: %s", got)
	}

	for i := range 3 {
		wrong := b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {fmt.Sprintf("guess number %d", i)}})
		wrong.mustBe(t, http.StatusUnauthorized, "/sign-in")
		if got := fmt.Sprint(wrong.summary()); got != "[{#email Enter a correct email address and password}]" {
			t.Errorf("attempt %d: %s", i+1, got)
		}
		if v := attr(byID(wrong.Doc, "email"), "value"); v != email {
			t.Errorf("the e-mail address was not kept: %q", v)
		}
	}
	// After three failures from this address the next attempt waits 2 seconds, whatever the case of
	// the address: a growing delay, never a lock.
	wait := b.fill("/sign-in", "/sign-in", url.Values{"email": {strings.ToUpper(email)}, "password": {demo.Password}})
	wait.mustBe(t, http.StatusTooManyRequests, "/sign-in")
	checkMarkup(t, wait)
	wait.mustContain(t, "You have tried too many times. Wait 2 seconds (until")
	if got := wait.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}

	// Another person is not held up.
	other := s.browser().fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[2].Email}, "password": {demo.Password}})
	other.mustBe(t, http.StatusOK, "/work")

	// Another wrong password after the wait doubles it.
	s.clock.advance(2 * time.Second)
	b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {"guess number 4"}}).mustBe(t, http.StatusUnauthorized, "/sign-in")
	again := b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	again.mustContain(t, "Wait 4 seconds")
	s.clock.advance(4 * time.Second)
	in := b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	in.mustBe(t, http.StatusOK, "/applications")
	in.mustContain(t, "Riverside Youth Project")
	// Signed in, the account's count is cleared: three more mistakes cost nothing.
	b.fill("/sign-out", "/sign-out", nil)
	for range 3 {
		b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {"wrong again"}}).mustBe(t, http.StatusUnauthorized, "/sign-in")
	}
}

func TestCheckEligibility(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	gcf := strconv.FormatInt(schemeID(t, s.Store, "grassroots"), 10)
	sc, err := s.Store.Scheme(context.Background(), schemeID(t, s.Store, "grassroots"))
	if err != nil {
		t.Fatal(err)
	}

	form := b.get("/check?scheme=" + gcf)
	form.mustBe(t, http.StatusOK, "/check?scheme="+gcf)
	checkMarkup(t, form)
	chosen := findAll(form.Doc, func(n *html.Node) bool { return attr(n, "name") == "scheme" && hasAttr(n, "checked") })
	if len(chosen) != 1 || attr(chosen[0], "value") != gcf {
		t.Errorf("the scheme from the link is not chosen in advance")
	}

	answers := func(orgType, amount string, areas, priorities []string, start, end [3]string) url.Values {
		return url.Values{"scheme": {gcf}, "organisation-type": {orgType}, "areas": areas, "priorities": priorities, "amount": {amount},
			"project-start-day": {start[0]}, "project-start-month": {start[1]}, "project-start-year": {start[2]},
			"project-end-day": {end[0]}, "project-end-month": {end[1]}, "project-end-year": {end[2]}}
	}
	yes := b.fill("/check", "/check", answers(scheme.OrgCommunityGroup, "2,500", []string{"Melton", "Rutland"}, []string{"Hate crime"},
		[3]string{"1", "6", "2026"}, [3]string{"31", "3", "2027"}))
	yes.mustBe(t, http.StatusOK, "/check")
	checkMarkup(t, yes)
	yes.mustContain(t, "You can apply to the Grassroots Community Fund",
		"The amount requested, £2,500.00, is within this scheme's limits of £500.00 to £5,000.00.",
		"The project serves Melton and Rutland, which this scheme covers.",
		"The project runs from 1 June 2026 to 31 March 2027, within this scheme's maximum of 12 months.")
	yes.mustNotContain(t, "You cannot apply")
	if v := attr(byID(yes.Doc, "amount"), "value"); v != "2,500" {
		t.Errorf("the answers are not kept for changing: amount %q", v)
	}

	// Not eligible: the page gives the policy's own reasons, in its order.
	in := workflows.EligibilityInput{OrganisationType: scheme.OrgIndividual, AreasServed: []string{"Leicester", "Nottingham"}, Priorities: []string{"Rural crime"},
		Amount: money.Pounds(7500), ProjectStart: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), ProjectEnd: time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC),
		RoundOpens: time.Now().Add(-time.Hour), RoundCloses: time.Now().Add(time.Hour), SubmittedAt: time.Now()}
	policy := workflows.CheckEligibility(sc.Rules, in)
	if policy.Eligible || len(policy.Reasons()) != 3 {
		t.Fatalf("the test's answers should fail three checks: %+v", policy)
	}
	no := b.fill("/check", "/check", answers(scheme.OrgIndividual, "7500", []string{"Leicester", "Nottingham"}, []string{"Rural crime"},
		[3]string{"1", "6", "2026"}, [3]string{"30", "9", "2027"}))
	no.mustBe(t, http.StatusOK, "/check")
	checkMarkup(t, no)
	no.mustContain(t, "You cannot apply to the Grassroots Community Fund with these answers", "This is because:")
	var shown []string
	for _, li := range findAll(byID(no.Doc, "reasons"), func(n *html.Node) bool { return n.Data == "li" }) {
		shown = append(shown, strings.Join(strings.Fields(textOf(li)), " "))
	}
	if fmt.Sprint(shown) != fmt.Sprint(policy.Reasons()) {
		t.Errorf("reasons shown:\n%q\nthe policy's:\n%q", shown, policy.Reasons())
	}
	no.mustContain(t, "Grants from this scheme are not made to individuals.", "above this scheme's maximum of £5,000.00",
		"Nottingham is outside this scheme's area.")

	// Nothing answered: each question is named, linked to its field.
	none := b.fill("/check", "/check", url.Values{})
	none.mustBe(t, http.StatusUnprocessableEntity, "/check")
	checkMarkup(t, none)
	want := "[{#scheme Select the fund you want to apply to} {#organisation-type Select the type of organisation that is applying} " +
		"{#areas Select the areas your project serves} {#priorities Select the Police and Crime Plan priorities your project addresses} " +
		"{#amount Enter how much you want to apply for} {#project-start-day Enter the date the project starts} {#project-end-day Enter the date the project ends}]"
	if got := fmt.Sprint(none.summary()); got != want {
		t.Errorf("summary:\n got %s\nwant %s", got, want)
	}

	// Answers that are not right.
	bad := answers("a charity", "lots", []string{"Melton"}, []string{"Hate crime"}, [3]string{"31", "2", "2026"}, [3]string{"", "4", ""})
	bad.Set("scheme", "999999")
	wrong := b.fill("/check", "/check", bad)
	wrong.mustBe(t, http.StatusUnprocessableEntity, "/check")
	checkMarkup(t, wrong)
	want = "[{#scheme Select the fund you want to apply to} {#organisation-type Select the type of organisation that is applying} " +
		"{#amount Amount must be a number of pounds, like 2500 or 2,500.50} {#project-start-day The date the project starts must be a real date} " +
		"{#project-end-day The date the project ends must include a day and a year}]"
	if got := fmt.Sprint(wrong.summary()); got != want {
		t.Errorf("summary:\n got %s\nwant %s", got, want)
	}
	if v := attr(byID(wrong.Doc, "project-start-day"), "value"); v != "31" {
		t.Errorf("the date is not kept: %q", v)
	}
}

func TestFormsRefuseMissingOrForeignTokens(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	b.get("/register") // the visitor has a form cookie
	reg := url.Values{"organisation.name": {"Forged Ltd"}, "organisation.type": {scheme.OrgCommunityGroup}, "organisation.address": {"1 Road"},
		"organisation.postcode": {"LE1 1AA"}, "user.name": {"Mallory"}, "user.email": {"mallory@forged.example.org"}, "user.password": {"long enough password"}}

	noToken := b.post("/register", reg)
	noToken.mustBe(t, http.StatusForbidden, "/register")
	checkMarkup(t, noToken)
	noToken.mustContain(t, "This form could not be accepted", "Nothing has been saved")

	// A token from another visitor's page is worthless here.
	stranger := s.browser().get("/register").formToken(t, "/register")
	withForeign := url.Values{"csrf_token": {stranger}}
	for k, v := range reg {
		withForeign[k] = v
	}
	b.post("/register", withForeign).mustBe(t, http.StatusForbidden, "/register")
	// A browser without cookies cannot send forms at all.
	cookieless := &browser{t: t, site: s, client: &http.Client{}}
	cookieless.post("/register", withForeign).mustBe(t, http.StatusForbidden, "/register")

	// The right token, but posted from another site: refused by the browser's own headers.
	withOwn := url.Values{"csrf_token": {b.get("/register").formToken(t, "/register")}}
	for k, v := range reg {
		withOwn[k] = v
	}
	b.post("/register", withOwn, "Sec-Fetch-Site", "cross-site").mustBe(t, http.StatusForbidden, "/register")
	b.post("/register", withOwn, "Origin", "https://evil.example.com").mustBe(t, http.StatusForbidden, "/register")
	if _, err := s.Store.UserByEmail(context.Background(), "mallory@forged.example.org"); err == nil {
		t.Fatal("a forged form registered an account")
	}

	// Sign-in and sign-out are forms too; a token from before signing in is spent once signed in.
	b.post("/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}}).mustBe(t, http.StatusForbidden, "/sign-in")
	before := b.get("/sign-in").formToken(t, "/sign-in")
	b.post("/sign-in", url.Values{"csrf_token": {before}, "email": {demo.Accounts[0].Email}, "password": {demo.Password}}).mustBe(t, http.StatusOK, "/applications")
	b.post("/sign-out", url.Values{"csrf_token": {before}}).mustBe(t, http.StatusForbidden, "/sign-out")
	b.post("/sign-out", url.Values{}).mustBe(t, http.StatusForbidden, "/sign-out")
	b.get("/applications").mustBe(t, http.StatusOK, "/applications") // still signed in
	b.post("/check", url.Values{"scheme": {"1"}}).mustBe(t, http.StatusForbidden, "/check")

	// The same visitor's token works.
	ok := b.fill("/sign-out", "/sign-out", nil)
	ok.mustBe(t, http.StatusOK, "/sign-in?signed-out=1")
}

// Bad input of every kind gets a page back, never a 5xx.
func TestOddInputNeverBreaksAPage(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	odd := []string{"\x00", "a\x00b", "\xff\xfe", strings.Repeat("x", 5000), "<script>alert(1)</script>", "-1", "1e9", "   "}
	fields := map[string][]string{
		"/register": {"organisation.name", "organisation.type", "organisation.charity_number", "organisation.company_number", "organisation.address",
			"organisation.postcode", "user.name", "user.email", "user.password"},
		"/sign-in": {"email", "password"},
		"/check": {"scheme", "organisation-type", "areas", "priorities", "amount", "project-start-day", "project-start-month", "project-start-year",
			"project-end-day", "project-end-month", "project-end-year"},
	}
	for action, names := range fields {
		for _, v := range odd {
			all := url.Values{}
			for _, n := range names {
				all.Set(n, v)
			}
			r := b.fill(action, action, all)
			if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusUnauthorized {
				t.Errorf("%s with %q in every field: %d", action, v, r.Status)
			}
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("%s echoed a script unescaped", action)
			}
			checkMarkup(t, r)
		}
	}
	// One NUL is named as the API names it.
	nul := b.fill("/register", "/register", url.Values{"organisation.name": {"Tea\x00Room"}, "organisation.type": {scheme.OrgCommunityGroup}})
	if got := fmt.Sprint(nul.summary()); got != `[{#organisation-name Organisation name must not contain a NUL character (\u0000)}]` {
		t.Errorf("NUL: %s", got)
	}
	// A form too large for any person to type.
	huge := url.Values{"csrf_token": {b.get("/check").formToken(t, "/check")}, "amount": {strings.Repeat("9", 70<<10)}}
	b.post("/check", huge).mustBe(t, http.StatusRequestEntityTooLarge, "/check")
	// A garbled session cookie is ignored.
	b.client.Jar.SetCookies(mustURL(s.URL), []*http.Cookie{{Name: "grantflow-session", Value: "not-a-session"}})
	b.get("/applications").mustBe(t, http.StatusOK, "/sign-in")
}

func TestEveryPageHasSecurityHeaders(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}}).mustBe(t, http.StatusOK, "/applications")
	pages := []response{b.get("/"), b.get("/check"), b.get("/accessibility"), b.get("/applications"), b.get("/sign-out"),
		s.browser().get("/sign-in"), s.browser().get("/register"), b.post("/check", url.Values{}), b.get("/assets/grantflow.css"), b.get("/assets/nothing-here.css")}
	for _, r := range pages {
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s (%d): Content-Security-Policy %q lacks %s", r.Path, r.Status, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy allows unsafe code: %q", r.Path, csp)
		}
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", r.Path, name, got, want)
			}
		}
		if r.Doc != nil {
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s: Cache-Control = %q; pages with forms and personal data must not be stored", r.Path, got)
			}
			checkMarkup(t, r)
		}
	}
	if pages[len(pages)-2].Status != http.StatusOK || !strings.Contains(pages[len(pages)-2].Header.Get("Content-Type"), "text/css") {
		t.Errorf("the fallback stylesheet is not served: %d %s", pages[len(pages)-2].Status, pages[len(pages)-2].Header.Get("Content-Type"))
	}
	if pages[len(pages)-1].Status != http.StatusNotFound {
		t.Errorf("a missing asset: %d", pages[len(pages)-1].Status)
	}
	b.get("/assets/").mustBe(t, http.StatusNotFound, "/assets/") // no directory listing
	acc := pages[2]
	acc.mustContain(t, "Accessibility statement for", "Enforcement procedure", "Equality Advisory and Support Service", "grants@opcc.example.org")
}

// By default cookies are Secure, HttpOnly, SameSite=Lax and __Host- prefixed, and hold only random values.
func TestCookiesAreSecureByDefault(t *testing.T) {
	st := storetest.New(t)
	if err := demo.Seed(context.Background(), st, time.Now()); err != nil {
		t.Fatal(err)
	}
	h := router.New(router.Deps{Store: st, Logger: slog.New(slog.DiscardHandler), TokenTTL: time.Hour})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	res, err := client.Get(srv.URL + "/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the router does not serve the pages: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no Strict-Transport-Security")
	}
	formCookie := res.Cookies()
	if len(formCookie) != 1 {
		t.Fatalf("cookies on first visit: %v", formCookie)
	}
	checkCookie(t, res.Header.Values("Set-Cookie")[0], "__Host-grantflow-form=")

	// Sign in over TLS with the form and its token.
	token := tokenIn(t, getPage(t, client, srv.URL+"/sign-in", formCookie))
	form := url.Values{"csrf_token": {token}, "email": {demo.Accounts[0].Email}, "password": {demo.Password}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range formCookie {
		req.AddCookie(c)
	}
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/applications" {
		t.Fatalf("sign-in over TLS: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var sawSession bool
	for _, raw := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(raw, "__Host-grantflow-session=") {
			sawSession = true
			checkCookie(t, raw, "__Host-grantflow-session=")
			if strings.Contains(raw, demo.Accounts[0].Email) || strings.Contains(raw, demo.Password) {
				t.Errorf("the session cookie holds personal data: %s", raw)
			}
		}
	}
	if !sawSession {
		t.Fatalf("no session cookie: %v", res.Header.Values("Set-Cookie"))
	}
	// The JSON API is still there beside the pages.
	res, err = client.Get(srv.URL + "/api/v1/schemes")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/v1/schemes: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func checkCookie(t *testing.T, raw, prefix string) {
	t.Helper()
	if !strings.HasPrefix(raw, prefix) {
		t.Errorf("cookie %q, want %s…", raw, prefix)
	}
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(raw, want) {
			t.Errorf("cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "Domain=") {
		t.Errorf("cookie %q names a domain", raw)
	}
	value, _, _ := strings.Cut(strings.TrimPrefix(raw, prefix), ";")
	if len(value) != 43 {
		t.Errorf("cookie value %q is not a 32-byte random value", value)
	}
}

// getPage fetches a page with the cookies given and returns its body.
func getPage(t *testing.T, client *http.Client, u string, cookies []*http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func tokenIn(t *testing.T, body string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return response{Doc: doc}.formToken(t, "/sign-in")
}
