package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/store"
	"grantflow/store/storetest"
)

func TestSanitiseFilename(t *testing.T) {
	long := strings.Repeat("é", 250) + ".pdf"
	for _, c := range []struct{ in, want string }{
		{"policy.pdf", "policy.pdf"},
		{`C:\fakepath\Safeguarding policy.docx`, "Safeguarding policy.docx"},
		{"../../etc/passwd.pdf", "passwd.pdf"},
		{"  Our   \"best\" 'policy'\t2026.odt ", "Our best policy 2026.odt"},
		{"evil\r\nContent-Type: text.pdf", "evil Content-Type text.pdf"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"}, // the right-to-left override that shows it as "exe.pdf"
		{"a\x00b<c>d|e?f*.pdf", "abcdef.pdf"},
		{".hidden.pdf", "hidden.pdf"},
		{"bad\xffutf8.pdf", "badutf8.pdf"},
		{"...", "document"},
		{"", "document"},
		{long, strings.Repeat("é", 196) + ".pdf"},
	} {
		if got := store.SanitiseFilename(c.in); got != c.want {
			t.Errorf("SanitiseFilename(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// An upload is stored with its bytes intact, its size and hash worked out, its name sanitised and
// a line in the audit trail that leaves the application's status alone; lists leave the content out.
func TestUploads(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	_, apps := seedApplications(t, s, 2, money.Pounds(10000))
	u, err := s.UserByEmail(ctx, "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 0xff, '\n'}, 1000)...)
	at := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	saved, err := s.SaveUpload(ctx, store.Upload{ApplicationID: apps[0], Kind: "safeguarding_policy", Filename: `C:\docs\Policy "v2".pdf`,
		ContentType: "application/pdf", Content: content, UploadedAt: at}, u)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if saved.ID == 0 || saved.Filename != "Policy v2.pdf" || saved.Size != int64(len(content)) || saved.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("saved: %+v", saved)
	}
	if _, err := s.SaveUpload(ctx, store.Upload{ApplicationID: apps[0], Kind: "accounts", Filename: "accounts.odt",
		ContentType: "application/vnd.oasis.opendocument.text", Content: []byte("PK..."), UploadedAt: at.Add(time.Hour)}, u); err != nil {
		t.Fatal(err)
	}

	list, err := s.Uploads(ctx, apps[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Filename != "accounts.odt" || list[1].ID != saved.ID {
		t.Fatalf("newest first, two uploads: %+v", list)
	}
	if list[1].Content != nil || list[1].UploaderName != u.Name || list[1].Kind != "safeguarding_policy" || !list[1].UploadedAt.Equal(at) {
		t.Errorf("listed: %+v", list[1])
	}
	if other, err := s.Uploads(ctx, apps[1]); err != nil || len(other) != 0 {
		t.Errorf("another application's uploads: %v %v", other, err)
	}

	got, err := s.Upload(ctx, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Content, content) || got.ContentType != "application/pdf" || got.ApplicationID != apps[0] || got.UploadedBy != u.ID {
		t.Errorf("read back: %+v (%d bytes)", got.Filename, len(got.Content))
	}
	if _, err := s.Upload(ctx, saved.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing upload: %v", err)
	}

	events, err := s.Timeline(ctx, apps[0])
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range events {
		if e.What == "Document uploaded: Safeguarding policy (Policy v2.pdf)" {
			found = true
			if e.ActorName != u.Name || e.ActorRole != "applicant" || e.Status != "draft" || !e.At.Equal(at) {
				t.Errorf("audit line: %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no audit line for the upload: %+v", events)
	}
	if app, _ := s.Application(ctx, apps[0]); app.Status != "draft" {
		t.Errorf("an upload moved the application to %q", app.Status)
	}

	// Refused, and nothing stored: an unknown kind, an empty file.
	if _, err := s.SaveUpload(ctx, store.Upload{ApplicationID: apps[1], Kind: "passport", Filename: "x.pdf", ContentType: "application/pdf",
		Content: content, UploadedAt: at}, u); err == nil {
		t.Error("an unknown kind was stored")
	}
	if _, err := s.SaveUpload(ctx, store.Upload{ApplicationID: apps[1], Kind: "other", Filename: "x.pdf", ContentType: "application/pdf",
		UploadedAt: at}, u); err == nil {
		t.Error("an empty file was stored")
	}
	if list, _ := s.Uploads(ctx, apps[1]); len(list) != 0 {
		t.Errorf("refused uploads were stored: %+v", list)
	}
}
