package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/scheme"
	"grantflow/store"
)

// webForm is one form as a page offers it: where it posts and the names of its fields.
type webForm struct {
	action, method string
	fields         []string
}

// formsOn reads the forms of a page.
func formsOn(t *testing.T, p page) []*webForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		t.Fatalf("%s: %v", p.Path, err)
	}
	var out []*webForm
	var walk func(n *html.Node, f *webForm)
	walk = func(n *html.Node, f *webForm) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				f = &webForm{action: attrOf(n, "action"), method: strings.ToUpper(attrOf(n, "method"))}
				out = append(out, f)
			case "input", "textarea", "select":
				if name := attrOf(n, "name"); f != nil && name != "" && name != "csrf_token" && attrOf(n, "type") != "file" {
					f.fields = append(f.fields, name)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	return out
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hostile are values no field expects: each is sent in every field of every form.
var hostile = map[string]string{
	"a NUL":              "before\x00after",
	"invalid UTF-8":      "\xff\xfe\xfd",
	"markup":             `<script>alert("x")</script>`,
	"SQL":                "'; DROP TABLE applications; --",
	"blank":              "   ",
	"a huge number":      "99999999999999999999999",
	"a negative number":  "-1",
	"an exponent":        "1e309",
	"an impossible date": "2026-02-31",
	"very long text":     strings.Repeat("long text ", 3000),
}

// sendHostile opens the page as the person and sends each of its forms with every hostile value in
// every field: each answer must be a page (never a 5xx, which the web user reports) with any markup
// escaped. It returns the actions of the forms sent.
func (w *webUser) sendHostile(t *testing.T, name, path string) []string {
	t.Helper()
	p := w.get(path)
	if p.Status != http.StatusOK {
		t.Fatalf("%s could not open %s: %d", name, path, p.Status)
	}
	var sent []string
	for _, f := range formsOn(t, p) {
		if f.action == "/sign-out" || len(f.fields) == 0 {
			continue
		}
		for what, value := range hostile {
			form := url.Values{}
			for _, field := range f.fields {
				form.Add(field, value)
			}
			w.get(path) // a fresh token, as the browser has
			var res page
			if f.method == http.MethodGet { // a search: its fields travel in the address
				res = w.get(f.action + "?" + form.Encode())
			} else {
				res = w.post(f.action, form)
			}
			if res.Status < 400 && res.Status != http.StatusOK {
				t.Errorf("%s sending %s to %s: %d", name, what, f.action, res.Status)
			}
			// Text that is not UTF-8 is refused on the form, never mended and stored.
			if value == hostile["invalid UTF-8"] && res.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s sending %s to %s: %d, want 422", name, what, f.action, res.Status)
			}
			if strings.Contains(res.Body, `<script>alert("x")</script>`) {
				t.Errorf("%s sending %s to %s: the markup came back unescaped", name, what, f.action)
			}
		}
		sent = append(sent, f.action)
	}
	return sent
}

// Every form on the pages people use, sent with hostile values in every field by someone the form
// is for: the answer is always a page saying what to mend or why not (never a 5xx, which the web
// user reports as a test error), and what was typed comes back escaped.
func TestPagesRefuseBadInputClearly(t *testing.T) {
	s := newSystem(t)
	fx := newAccessFixture(t, s)
	sent := map[string]bool{} // the forms sent, by action
	sendHostile := func(who *webUser, name, path string) {
		for _, action := range who.sendHostile(t, name, path) {
			sent[action] = true
		}
	}
	app := func(id int64) string { return fmt.Sprintf("/applications/%d", id) }

	// One more application, scored and awaiting the decision, for the decision form.
	deciding := s.applyFor(t, fx.tokens[asOwner], 320000)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", deciding), fx.tokens[asAssessor], map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.awaitStatus(t, fx.tokens[asOwner], deciding, "decision")

	owner := s.webSignIn(t, demo.Accounts[0].Email)
	sendHostile(s.webVisitor(t), "a visitor", "/check")
	sendHostile(s.webVisitor(t), "a visitor", "/register")
	sendHostile(s.webVisitor(t), "a visitor", "/sign-in")
	sendHostile(owner, "the owner", fmt.Sprintf("/applications/new?round=%d", int64(fx.roundID)))
	sendHostile(owner, "the owner", app(fx.draft)+"/edit")
	sendHostile(owner, "the owner", app(fx.draft)+"/uploads")
	sendHostile(owner, "the owner", app(fx.offered))
	sendHostile(s.webSignIn(t, "assessor@opcc.example.org"), "the assessor", app(fx.assessing))
	officer := s.webSignIn(t, "officer@opcc.example.org")
	sendHostile(officer, "an officer", app(fx.assessing))
	sendHostile(officer, "an officer", app(fx.service))
	sendHostile(s.webSignIn(t, "officer2@opcc.example.org"), "another officer", app(deciding))
	// People: a forgotten password, one's own password, the organisation's page and details, and
	// an administrator's invitation and role forms.
	ownerAccount, err := s.Store.UserByEmail(t.Context(), demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	org := fmt.Sprintf("/organisations/%d", ownerAccount.Organisations[0])
	sendHostile(s.webVisitor(t), "a visitor", "/password-reset")
	sendHostile(owner, "the owner", "/account/password")
	sendHostile(owner, "the owner", org)
	sendHostile(owner, "the owner", org+"/edit")
	admin := s.webSignIn(t, "admin@opcc.example.org")
	sendHostile(admin, "an administrator", "/admin/users/invite")
	sendHostile(admin, "an administrator", fmt.Sprintf("/admin/users/%v", fx.assessorID))
	// Finance's payment form, once the offer is accepted.
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/acceptance", fx.offered), fx.tokens[asOwner], testBank)
	s.awaitStatus(t, fx.tokens[asOwner], fx.offered, "accepted")
	sendHostile(s.webSignIn(t, "finance@opcc.example.org"), "finance", "/finance")

	// Second factors: the code page of someone half signed in, setting one up (a new member of
	// staff at sign-in, an applicant from their account), and the admin's reset.
	half := s.webVisitor(t)
	half.get("/sign-in")
	if p := half.post("/sign-in", url.Values{"email": {"commissioner@opcc.example.org"}, "password": {demo.Password}}); p.Path != "/sign-in/code" {
		t.Fatalf("a staff password led to %s", p.Path)
	}
	sendHostile(half, "someone half signed in", "/sign-in/code")
	if _, err := s.Store.CreateUser(context.Background(), store.NewUser{Email: "newbie@opcc.example.org", Name: "New Officer", Role: scheme.RoleOfficer,
		Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	newbie := s.webVisitor(t)
	newbie.get("/sign-in")
	if p := newbie.post("/sign-in", url.Values{"email": {"newbie@opcc.example.org"}, "password": {"a long enough password"}}); p.Path != "/sign-in/enrol" {
		t.Fatalf("a new member of staff's password led to %s", p.Path)
	}
	sendHostile(newbie, "new staff setting up", "/sign-in/enrol")
	sendHostile(owner, "the owner", "/account/second-factor/set-up")
	sendHostile(s.webSignIn(t, "admin@opcc.example.org"), "an admin", "/admin/second-factor-reset")

	for _, want := range []string{"/check", "/register", "/sign-in", "/applications/new", app(fx.draft) + "/edit", app(fx.draft) + "/uploads",
		app(fx.offered) + "/acceptance", app(fx.assessing) + "/assessments", app(fx.assessing) + "/conflicts", app(fx.service) + "/panel",
		app(deciding) + "/decision", app(fx.offered) + "/payments", "/sign-in/code", "/sign-in/enrol", "/account/second-factor/set-up",
		"/admin/second-factor-reset",
		"/password-reset", "/account/password", org + "/invitations", org + "/edit",
		"/admin/users/invite", fmt.Sprintf("/admin/users/%v/role", fx.assessorID)} {
		found := false
		for action := range sent {
			found = found || strings.HasPrefix(action, want)
		}
		if !found {
			t.Errorf("no form posting to %s was found and sent", want)
		}
	}
}
