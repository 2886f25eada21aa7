package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/store"
)

// uploadPart is the file part of an upload form as a browser sends it.
type uploadPart struct {
	Name        string // the file's name; "" when no file was chosen
	ContentType string // what the browser claims, which must not matter
	Content     []byte
}

// multipartForm encodes fields and the file (under "file") as multipart/form-data.
func multipartForm(t *testing.T, fields url.Values, file *uploadPart) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range []string{"csrf_token", "kind"} { // the token first, as the form has it
		for _, v := range fields[k] {
			w.WriteField(k, v)
		}
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, file.Name))
		h.Set("Content-Type", file.ContentType)
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(file.Content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// postMultipart sends a multipart form exactly as given (no token added), with any headers given
// as name, value pairs.
func (b *browser) postMultipart(path string, fields url.Values, file *uploadPart, header ...string) response {
	b.t.Helper()
	body, ct := multipartForm(b.t, fields, file)
	req, _ := http.NewRequest(http.MethodPost, b.site.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// upload opens the application's documents page, as a person would, and sends its form with the
// kind and file given.
func (b *browser) upload(appID int64, kind string, file *uploadPart) response {
	b.t.Helper()
	path := fmt.Sprintf("/applications/%d/uploads", appID)
	token := b.get(path).formToken(b.t, path)
	fields := url.Values{"csrf_token": {token}}
	if kind != "" {
		fields.Set("kind", kind)
	}
	return b.postMultipart(path, fields, file)
}

func pdfFile(name string) *uploadPart {
	content := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n\x00\x01\x02\xff binary\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	return &uploadPart{Name: name, ContentType: "application/pdf", Content: content}
}

// docxFile is the smallest zip a word processor would call a DOCX: [Content_Types].xml first,
// then the word/ part.
func docxFile(t *testing.T, name string) *uploadPart {
	return &uploadPart{Name: name, ContentType: "application/octet-stream", Content: zipOf(t, []zipEntry{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`, zip.Deflate},
		{"_rels/.rels", `<?xml version="1.0"?><Relationships/>`, zip.Deflate},
		{"word/document.xml", `<?xml version="1.0"?><w:document/>`, zip.Deflate},
	})}
}

// odtFile is an OpenDocument text: its first entry, stored uncompressed, is its mimetype.
func odtFile(t *testing.T, name string) *uploadPart {
	return &uploadPart{Name: name, ContentType: "application/vnd.oasis.opendocument.text", Content: zipOf(t, []zipEntry{
		{"mimetype", "application/vnd.oasis.opendocument.text", zip.Store},
		{"content.xml", `<?xml version="1.0"?><office:document-content/>`, zip.Deflate},
	})}
}

type zipEntry struct {
	name, body string
	method     uint16
}

func zipOf(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := z.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e.body)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadFixture is a site with a draft grassroots application of the demo applicant's
// organisation, and that applicant signed in.
func uploadFixture(t *testing.T) (*site, *browser, int64) {
	t.Helper()
	s := newSite(t)
	ctx := context.Background()
	u, err := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	gcf := schemeID(t, s.Store, "grassroots")
	rounds, err := s.Store.Rounds(ctx, gcf)
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	id, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Summer youth club"})
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {demo.Accounts[0].Email}, "password": {demo.Password}})
	return s, b, id
}

func signedIn(t *testing.T, s *site, email string) *browser {
	t.Helper()
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	return b
}

// An applicant uploads a safeguarding policy to a draft, sees it listed and downloads exactly what
// they sent, as a PDF whatever their browser claimed; a DOCX and an ODT are taken too.
func TestUploadAndDownload(t *testing.T) {
	s, b, id := uploadFixture(t)
	path := fmt.Sprintf("/applications/%d/uploads", id)

	empty := b.get(path)
	empty.mustBe(t, http.StatusOK, path)
	checkMarkup(t, empty)
	empty.mustContain(t, "Supporting documents", "Summer youth club", "No documents have been uploaded yet",
		"What kind of document is it?", "Safeguarding policy", "Upload a file", "PDF, DOCX or ODT, smaller than 5MB")
	if in := byID(empty.Doc, "file"); in == nil || attr(in, "type") != "file" || !hasClass("govuk-file-upload")(in) {
		t.Error("no GOV.UK file upload input with the id file")
	}
	if forms := findAll(empty.Doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == path }); len(forms) != 1 ||
		attr(forms[0], "enctype") != "multipart/form-data" {
		t.Error("the upload form does not send multipart/form-data")
	}
	if back := findAll(empty.Doc, hasClass("govuk-back-link")); len(back) != 1 || attr(back[0], "href") != fmt.Sprintf("/applications/%d/edit", id) {
		t.Error("a draft's documents page does not lead back to its form")
	}

	pdf := pdfFile(`C:\Users\Priya\Documents\Safeguarding "policy" 2026.pdf`)
	pdf.ContentType = "text/html" // a lying browser
	done := b.upload(id, "safeguarding_policy", pdf)
	done.mustBe(t, http.StatusOK, path+"?done=uploaded")
	checkMarkup(t, done)
	done.mustContain(t, "Your document has been uploaded", "Safeguarding policy 2026.pdf", "Safeguarding policy", "Priya Example")
	done.mustNotContain(t, "No documents have been uploaded yet", `"policy"`, "Users")

	list, err := s.Store.Uploads(context.Background(), id)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	link := fmt.Sprintf("/uploads/%d", list[0].ID)
	if len(findAll(done.Doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == link })) != 1 {
		t.Errorf("no link to download %s", link)
	}
	got := b.get(link)
	if got.Status != http.StatusOK || got.Body != string(pdf.Content) {
		t.Fatalf("download: %d, %d bytes, want the %d bytes sent", got.Status, len(got.Body), len(pdf.Content))
	}
	for h, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="Safeguarding policy 2026.pdf"`,
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("download %s: %q, want %q", h, v, want)
		}
	}
	if !strings.Contains(got.Header.Get("Cache-Control"), "no-store") || got.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("download caching or policy: %v", got.Header)
	}

	b.upload(id, "constitution", docxFile(t, "Constitution.DOCX")).mustBe(t, http.StatusOK, path+"?done=uploaded")
	again := b.upload(id, "accounts", odtFile(t, "Accounts 2025–26.odt"))
	again.mustBe(t, http.StatusOK, path+"?done=uploaded")
	again.mustContain(t, "Constitution.DOCX", "Constitution or governing document", "Accounts 2025–26.odt", "Accounts")
	list, _ = s.Store.Uploads(context.Background(), id)
	types := map[string]string{}
	for _, up := range list {
		types[up.Filename] = up.ContentType
	}
	if types["Constitution.DOCX"] != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" ||
		types["Accounts 2025–26.odt"] != "application/vnd.oasis.opendocument.text" {
		t.Errorf("stored types: %v", types)
	}
	odt := b.get(fmt.Sprintf("/uploads/%d", list[0].ID))
	if cd := odt.Header.Get("Content-Disposition"); cd != `attachment; filename*=utf-8''Accounts%202025%E2%80%9326.odt` {
		t.Errorf("a name outside ASCII: Content-Disposition %q", cd)
	}
}

// Anything but a real PDF, DOCX or ODT is refused with the file named in the error summary, and
// nothing is stored; so is an empty file, no file at all, and no kind chosen (which is kept).
func TestUploadRefusesBadFiles(t *testing.T) {
	s, b, id := uploadFixture(t)
	path := fmt.Sprintf("/applications/%d/uploads", id)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 200)...)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")
	for _, c := range []struct {
		what string
		kind string
		file *uploadPart
		want []summaryItem
	}{
		{"a program", "other", &uploadPart{Name: "setup.exe", ContentType: "application/pdf", Content: exe},
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT"}}},
		{"a program renamed", "other", &uploadPart{Name: "policy.pdf", ContentType: "application/pdf", Content: exe},
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT: its name ends .pdf but its contents are not PDF"}}},
		{"an image renamed", "other", &uploadPart{Name: "policy.pdf", ContentType: "application/pdf", Content: png},
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT: its name ends .pdf but its contents are not PDF"}}},
		{"text renamed", "other", &uploadPart{Name: "policy.pdf", ContentType: "application/pdf", Content: []byte("Our safeguarding policy\n")},
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT: its name ends .pdf but its contents are not PDF"}}},
		{"a DOCX called an ODT", "other", docxFile(t, "policy.odt"),
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT: its name ends .odt but its contents are not ODT"}}},
		{"a PDF with no extension", "other", pdfFile("policy"),
			[]summaryItem{{"#file", "The selected file must be a PDF, DOCX or ODT"}}},
		{"an empty file", "other", &uploadPart{Name: "policy.pdf", ContentType: "application/pdf"},
			[]summaryItem{{"#file", "The selected file is empty"}}},
		{"no file chosen", "other", &uploadPart{ContentType: "application/octet-stream"},
			[]summaryItem{{"#file", "Select a document to upload"}}},
		{"no file part at all", "other", nil,
			[]summaryItem{{"#file", "Select a document to upload"}}},
		{"no kind chosen", "", pdfFile("policy.pdf"),
			[]summaryItem{{"#kind", "Select what kind of document this is"}}},
		{"an unknown kind and no file", "passport", nil,
			[]summaryItem{{"#kind", "Select what kind of document this is"}, {"#file", "Select a document to upload"}}},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := b.upload(id, c.kind, c.file)
			r.mustBe(t, http.StatusUnprocessableEntity, path)
			checkMarkup(t, r)
			if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("error summary %v, want %v", got, c.want)
			}
			for _, e := range c.want {
				if byID(r.Doc, strings.TrimPrefix(e.Href, "#")+"-error") == nil {
					t.Errorf("no error message beside %s", e.Href)
				}
			}
			if c.kind == "other" && !hasAttr(byID(r.Doc, "kind-4"), "checked") {
				t.Error("the kind chosen was lost")
			}
		})
	}
	if list, _ := s.Store.Uploads(context.Background(), id); len(list) != 0 {
		t.Errorf("refused files were stored: %+v", list)
	}
}

// A file over 5MB is refused with the GOV.UK words and a 413, never a 5xx, whether the body as a
// whole is over the route's limit (refused before it is read) or only the file is; a body of
// unknown length is cut off at the limit.
func TestUploadTooLarge(t *testing.T) {
	s, b, id := uploadFixture(t)
	path := fmt.Sprintf("/applications/%d/uploads", id)
	big := func(n int) *uploadPart {
		p := pdfFile("big.pdf")
		p.Content = append(p.Content, bytes.Repeat([]byte("0"), n-len(p.Content))...)
		return p
	}
	want := []summaryItem{{"#file", "The selected file must be smaller than 5MB"}}
	for _, c := range []struct {
		what string
		file *uploadPart
	}{
		{"6MB", big(6 << 20)},
		{"just over 5MB", big(5<<20 + 1)},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := b.upload(id, "other", c.file)
			r.mustBe(t, http.StatusRequestEntityTooLarge, path)
			checkMarkup(t, r)
			if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("error summary %v, want %v", got, want)
			}
		})
	}

	// A body of unknown length (chunked) is read up to the limit and then refused.
	token := b.get(path).formToken(t, path)
	body, ct := multipartForm(t, url.Values{"csrf_token": {token}, "kind": {"other"}}, big(6<<20))
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, struct{ io.Reader }{bytes.NewReader(body)})
	req.Header.Set("Content-Type", ct)
	if r := b.do(req); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body over the limit: %d", r.Status)
	}

	// Sent from another site, it is refused as any such form is, whatever its size.
	b.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, big(6<<20), "Sec-Fetch-Site", "cross-site").
		mustBe(t, http.StatusForbidden, path)

	// Exactly 5MB is fine.
	b.upload(id, "other", big(5<<20)).mustBe(t, http.StatusOK, path+"?done=uploaded")
	if list, _ := s.Store.Uploads(context.Background(), id); len(list) != 1 || list[0].Size != 5<<20 {
		t.Errorf("stored: %+v", list)
	}
}

// Another organisation's people are told the page, the form and the document are not found; staff
// may list and download but not upload; without the form's token nothing is stored; and a closed
// application takes no more documents.
func TestUploadRules(t *testing.T) {
	s, b, id := uploadFixture(t)
	path := fmt.Sprintf("/applications/%d/uploads", id)
	b.upload(id, "safeguarding_policy", pdfFile("policy.pdf")).mustBe(t, http.StatusOK, path+"?done=uploaded")
	list, _ := s.Store.Uploads(context.Background(), id)
	if len(list) != 1 {
		t.Fatal(list)
	}
	download := fmt.Sprintf("/uploads/%d", list[0].ID)

	other := s.browser()
	other.fill("/register", "/register", url.Values{
		"organisation.name": {"Hilltop Tenants' Association"}, "organisation.type": {"community_group"},
		"organisation.address": {"2 Hill Road"}, "organisation.postcode": {"LE13 0ZZ"},
		"user.name": {"Sam Example"}, "user.email": {"sam@hilltop.example.org"}, "user.password": {"correct horse battery"},
	}).mustBe(t, http.StatusOK, "/applications?registered=1")
	other.get(path).mustBe(t, http.StatusNotFound, path)
	dl := other.get(download)
	dl.mustBe(t, http.StatusNotFound, download)
	dl.mustNotContain(t, "%PDF")
	token := other.get("/sign-out").formToken(t, "/sign-out") // any form of theirs gives their token
	other.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, pdfFile("theirs.pdf")).mustBe(t, http.StatusNotFound, path)
	big := pdfFile("big.pdf")
	big.Content = append(big.Content, make([]byte, 6<<20)...)
	other.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, big).mustBe(t, http.StatusNotFound, path)
	other.get("/uploads/999999").mustBe(t, http.StatusNotFound, "/uploads/999999")
	other.get("/applications/999999/uploads").mustBe(t, http.StatusNotFound, "/applications/999999/uploads")

	for _, email := range []string{"officer@opcc.example.org", "assessor@opcc.example.org", "finance@opcc.example.org"} {
		staff := signedIn(t, s, email)
		page := staff.get(path)
		page.mustBe(t, http.StatusOK, path)
		checkMarkup(t, page)
		page.mustContain(t, "policy.pdf", "Safeguarding policy", "Priya Example")
		page.mustNotContain(t, "Upload a document")
		if got := staff.get(download); got.Status != http.StatusOK || got.Body != string(pdfFile("").Content) {
			t.Errorf("%s downloading: %d", email, got.Status)
		}
		token := staff.get("/sign-out").formToken(t, "/sign-out")
		staff.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, pdfFile("staff.pdf")).mustBe(t, http.StatusForbidden, path)
	}

	// Without the form's token, or with another session's, nothing is stored.
	b.postMultipart(path, url.Values{"kind": {"other"}}, pdfFile("no-token.pdf")).mustBe(t, http.StatusForbidden, path)
	b.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, pdfFile("their-token.pdf")).mustBe(t, http.StatusForbidden, path)

	// Once the application is closed its members can read but not upload.
	if _, err := s.Store.DB.Exec(`UPDATE applications SET status = 'declined' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	closed := b.get(path)
	closed.mustBe(t, http.StatusOK, path)
	closed.mustContain(t, "policy.pdf", "This application is closed, so you can no longer upload documents to it")
	closed.mustNotContain(t, "Upload a document")
	token = b.get("/sign-out").formToken(t, "/sign-out")
	b.postMultipart(path, url.Values{"csrf_token": {token}, "kind": {"other"}}, pdfFile("late.pdf")).mustBe(t, http.StatusConflict, path)

	if list, _ := s.Store.Uploads(context.Background(), id); len(list) != 1 {
		t.Errorf("uploads stored against the rules: %+v", list)
	}
}

// An upload past the organisation's quota of document bytes is refused on the form, saying why
// and what to do; the documents already there stay.
func TestUploadPastTheOrganisationsQuota(t *testing.T) {
	s, b, id := uploadFixture(t)
	path := fmt.Sprintf("/applications/%d/uploads", id)
	first := pdfFile("policy.pdf")
	b.upload(id, "safeguarding_policy", first).mustBe(t, http.StatusOK, path+"?done=uploaded")
	s.Store.Quotas.UploadBytesPerOrganisation = int64(len(first.Content)) + 10
	r := b.upload(id, "other", pdfFile("accounts.pdf"))
	r.mustBe(t, http.StatusConflict, path)
	checkMarkup(t, r)
	if got := fmt.Sprint(r.summary()); !strings.Contains(got, "#file") || !strings.Contains(got, "would take it past that") ||
		!strings.Contains(got, "ask the grants team to raise the limit") {
		t.Errorf("error summary %s; want the quota named on the file", got)
	}
	if list, _ := s.Store.Uploads(context.Background(), id); len(list) != 1 {
		t.Errorf("%d documents after the refusal; want the 1 uploaded before", len(list))
	}
}
