package e2e

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"grantflow/internal/demo"
)

// postFile sends the upload form as a browser does: multipart, with the page's token.
func (w *webUser) postFile(path, kind, filename string, content []byte) page {
	w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", w.token)
	mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.sys.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return w.do(req)
}

// Through the whole router (not just the pages' own engine): a document just under 5MB is
// accepted, one over it is refused with the upload's own message.
func TestWebUploadsUpToTheirOwnLimit(t *testing.T) {
	s := newSystem(t)
	token := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	schemeID, roundID := s.grassrootsRound(t, token)
	draft := int64(dig(s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token,
		map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "With a policy"}).Body, "id").(float64))
	w := s.webSignIn(t, demo.Accounts[0].Email)
	uploads := fmt.Sprintf("/applications/%d/uploads", draft)

	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 4_900_000)...)
	w.get(uploads)
	w.postFile(uploads, "safeguarding_policy", "policy.pdf", pdf).mustSay(t, http.StatusOK, "Your document has been uploaded", "policy.pdf")

	w.get(uploads)
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 5_300_000)...)
	if p := w.postFile(uploads, "safeguarding_policy", "big.pdf", big); p.Status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(p.text(), "The selected file must be smaller than 5MB") {
		t.Fatalf("a 5.3MB document: %d %s", p.Status, p.text())
	}
}

// A form sent after its session has ended (here: signed out in another tab) goes to the sign-in
// page saying so; a form refused for its token links back to a page that exists; an unknown page
// is the pages' own "Page not found", and an unknown API address the API's JSON 404.
func TestWebSessionEndsAndRefusals(t *testing.T) {
	s := newSystem(t)
	fx := newAccessFixture(t, s)
	w := s.webSignIn(t, demo.Accounts[0].Email)
	offer := fmt.Sprintf("/applications/%d", fx.offered)
	w.get(offer)
	token := w.token

	// Signed out elsewhere: the open form's token belongs to the ended session.
	other := &webUser{t: t, sys: s, client: w.client}
	other.get("/sign-out")
	other.post("/sign-out", url.Values{})
	w.token = token
	p := w.post(offer+"/acceptance", acceptForm())
	if !strings.HasPrefix(p.Path, "/sign-in") {
		t.Fatalf("after signing out elsewhere: %d at %s, want the sign-in page", p.Status, p.Path)
	}
	p.mustSay(t, http.StatusOK, "You were signed out, so what you sent has not been saved")

	// A wrong token: refused, with a way back to the application's page.
	w = s.webSignIn(t, demo.Accounts[0].Email)
	w.get(offer)
	w.token = "not-the-token"
	p = w.post(offer+"/acceptance", acceptForm())
	p.mustSay(t, http.StatusForbidden, "This form could not be accepted")
	if !strings.Contains(p.Body, `href="`+offer+`"`) {
		t.Errorf("the refusal does not link back to %s:\n%s", offer, p.Body)
	}
	s.awaitStatus(t, fx.tokens[asOwner], fx.offered, "offered") // nothing accepted

	w.get("/no-such-page").mustSay(t, http.StatusNotFound, "Page not found")
	if r := s.do(t, "GET", "/api/v1/no-such-route", "", nil); r.Status != http.StatusNotFound || r.str("error", "code") != "not_found" {
		t.Errorf("unknown API address: %d %s", r.Status, r.Raw)
	}
}
