package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// quotaFixture is an organisation with a member and an open round of a scheme to apply to.
type quotaFixture struct {
	org, user, schemeID, roundID int64
}

func newQuotaFixture(t *testing.T, s *store.Store, name string) quotaFixture {
	t.Helper()
	ctx := context.Background()
	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: testRules()})
	if err != nil {
		t.Fatal(err)
	}
	round, err := s.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: "R-" + name, OpensAt: time.Now().Add(-time.Hour), ClosesAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	org, user, err := s.CreateOrganisationWithUser(ctx, store.Organisation{Name: name, Type: scheme.OrgCommunityGroup},
		store.NewUser{Email: name + "@example.org", Name: "Member of " + name, Role: scheme.RoleApplicant, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return quotaFixture{org: org.ID, user: user.ID, schemeID: sc.ID, roundID: round.ID}
}

func (f quotaFixture) draft(s *store.Store) (int64, error) {
	return s.CreateDraft(context.Background(), f.org, f.user, store.Draft{SchemeID: f.schemeID, RoundID: f.roundID, Title: "A draft"})
}

func TestDraftQuotaRefusesTheOneOverAndCountsOnlyDrafts(t *testing.T) {
	s := storetest.New(t)
	s.Quotas.DraftsPerOrganisation = 3
	f := newQuotaFixture(t, s, "quota-group")
	other := newQuotaFixture(t, s, "other-group")
	var ids []int64
	for range 3 {
		id, err := f.draft(s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_, err := f.draft(s)
	var q *store.QuotaError
	if !errors.As(err, &q) || q.What != store.QuotaDrafts || q.Limit != 3 || q.Used != 3 {
		t.Fatalf("the fourth draft: %v; want a drafts QuotaError at 3 of 3", err)
	}
	// Another organisation has its own quota.
	if _, err := other.draft(s); err != nil {
		t.Errorf("another organisation's first draft: %v", err)
	}
	// A submitted application no longer counts: the organisation may start another.
	if err := s.MarkSubmitted(context.Background(), ids[0], "application-quota", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.draft(s); err != nil {
		t.Errorf("a draft after one was submitted: %v", err)
	}
	// Nor does a draft locked when its round closed, which can never be submitted.
	if _, err := f.draft(s); err == nil {
		t.Fatal("a fourth open draft was allowed")
	}
	if _, err := s.DB.Exec(`UPDATE applications SET draft_locked_at = now() WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.draft(s); err != nil {
		t.Errorf("a draft after another was locked at its round's close: %v", err)
	}
}

func TestConcurrentDraftsAtTheQuotaMakeExactlyTheQuota(t *testing.T) {
	s := storetest.New(t)
	const limit = 5
	s.Quotas.DraftsPerOrganisation = limit
	f := newQuotaFixture(t, s, "busy-group")
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, refused := 0, 0
	for range 3 * limit {
		wg.Go(func() {
			_, err := f.draft(s)
			mu.Lock()
			defer mu.Unlock()
			var q *store.QuotaError
			switch {
			case err == nil:
				made++
			case errors.As(err, &q):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM applications WHERE organisation_id = $1`, f.org); err != nil {
		t.Fatal(err)
	}
	if made != limit || refused != 2*limit || n != limit {
		t.Errorf("%d drafts made, %d refused, %d in the database; want %d, %d, %d", made, refused, n, limit, 2*limit, limit)
	}
}

func TestUploadQuotaCountsTheOrganisationsBytes(t *testing.T) {
	s := storetest.New(t)
	s.Quotas.UploadBytesPerOrganisation = 1000
	f := newQuotaFixture(t, s, "upload-group")
	ctx := context.Background()
	first, err := f.draft(s)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.draft(s)
	if err != nil {
		t.Fatal(err)
	}
	by := store.User{ID: f.user, Name: "Member", Role: scheme.RoleApplicant}
	upload := func(app int64, size int) error {
		_, err := s.SaveUpload(ctx, store.Upload{ApplicationID: app, Kind: "other", Filename: fmt.Sprintf("f%d.txt", size),
			ContentType: "text/plain", Content: make([]byte, size), UploadedAt: time.Now()}, by)
		return err
	}
	if err := upload(first, 600); err != nil {
		t.Fatal(err)
	}
	if err := upload(second, 400); err != nil { // exactly at the quota, on another application of the organisation
		t.Fatalf("an upload that fills the quota exactly: %v", err)
	}
	err = upload(second, 1)
	var q *store.QuotaError
	if !errors.As(err, &q) || q.What != store.QuotaUploadBytes || q.Used != 1000 || q.Adding != 1 {
		t.Fatalf("one byte over: %v; want an upload_bytes QuotaError", err)
	}
	if list, err := s.Uploads(ctx, second); err != nil || len(list) != 1 {
		t.Errorf("after the refusal the application has %d uploads (%v); want the 1 saved before", len(list), err)
	}
}
