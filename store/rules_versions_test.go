package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

func headOfCommissioning(t *testing.T, s *store.Store) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), store.NewUser{Email: "hana@opcc.example.org", Name: "Hana Head", Role: scheme.RoleHeadOfCommissioning, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// An edit that changes the rules keeps them as version 2 with who, role, when and why, and records
// the act in the office's audit trail; the first version stays as it was.
func TestRulesEditMakesANewVersion(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	head := headOfCommissioning(t, s)
	created, err := s.CreateScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()},
		store.SchemeEdit{By: store.ActorOf(head), Reason: "New fund for 2027"})
	if err != nil {
		t.Fatal(err)
	}
	if !created.Created || created.Scheme.RulesVer != 1 || created.Scheme.Rules.Version != 1 {
		t.Fatalf("created: %+v", created)
	}
	at := time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC) // the night the clocks go forward
	rules := demo.GrassrootsRules()
	rules.MaxAmount = money.Pounds(6000)
	saved, err := s.UpdateScheme(ctx, created.Scheme.ID, store.Scheme{Name: "Grassroots Community Fund", Rules: rules},
		store.SchemeEdit{By: store.ActorOf(head), At: at, Reason: "The Commissioner raised the limit", BaseVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !saved.NewVersion || saved.Scheme.RulesVer != 2 || len(saved.Changes) != 1 || saved.Changes[0].Text != "Maximum amount: £5,000.00 → £6,000.00" {
		t.Fatalf("saved: %+v", saved)
	}
	now, err := s.Scheme(ctx, created.Scheme.ID)
	if err != nil || now.RulesVer != 2 || now.Rules.Version != 2 || now.Rules.MaxAmount != money.Pounds(6000) {
		t.Fatalf("scheme now: %+v %v", now, err)
	}
	versions, err := s.RulesVersions(ctx, created.Scheme.ID)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions: %+v %v", versions, err)
	}
	v2, v1 := versions[0], versions[1]
	if v2.Version != 2 || v2.ActorName != "Hana Head" || v2.ActorRole != "head_of_commissioning" || v2.ActorID == nil || *v2.ActorID != head.ID ||
		v2.Reason != "The Commissioner raised the limit" || !v2.At.Equal(at) || v2.Rules.MaxAmount != money.Pounds(6000) || v2.Rules.Version != 2 {
		t.Errorf("version 2: %+v", v2)
	}
	if v1.Version != 1 || v1.Rules.MaxAmount != money.Pounds(5000) || v1.Reason != "New fund for 2027" {
		t.Errorf("version 1: %+v", v1)
	}
	one, err := s.RulesVersion(ctx, created.Scheme.ID, 1)
	if err != nil || one.Rules.MaxAmount != money.Pounds(5000) || one.Rules.AreaCode("Leicester") != "E06000016" {
		t.Errorf("version 1 read alone: %+v %v", one, err)
	}
	if _, err := s.RulesVersion(ctx, created.Scheme.ID, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("version 3: %v, want not found", err)
	}
	events, err := s.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "scheme", SubjectID: created.Scheme.ID})
	if err != nil || len(events) != 2 {
		t.Fatalf("audit trail: %+v %v", events, err)
	}
	if e := events[0]; e.Action != "rules.versioned" || e.Why != "The Commissioner raised the limit" || e.ActorName != "Hana Head" ||
		e.What != "Rules version 2 of Grassroots Community Fund: Maximum amount: £5,000.00 → £6,000.00" {
		t.Errorf("rules event: %+v", e)
	}
	if e := events[1]; e.Action != "scheme.created" || e.Why != "New fund for 2027" {
		t.Errorf("created event: %+v", e)
	}

	// Saving from version 1 again is refused: someone else made version 2 since.
	rules.MaxAmount = money.Pounds(7000)
	_, err = s.UpdateScheme(ctx, created.Scheme.ID, store.Scheme{Name: "Grassroots Community Fund", Rules: rules},
		store.SchemeEdit{By: store.ActorOf(head), Reason: "x", BaseVersion: 1})
	if !errors.Is(err, store.ErrStaleRules) {
		t.Errorf("a save from a stale version: %v", err)
	}
	// A new scheme at a taken address is refused.
	if _, err := s.CreateScheme(ctx, store.Scheme{Slug: "gcf", Name: "Another", Rules: demo.GrassrootsRules()}, store.SchemeEdit{By: store.ActorOf(head)}); !errors.Is(err, store.ErrSchemeExists) {
		t.Errorf("a second gcf: %v", err)
	}
}

// Saving the same rules makes no version and records nothing; a new name alone records the act
// without a version.
func TestNoChangeMakesNoVersion(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	head := headOfCommissioning(t, s)
	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()})
	if err != nil || again.RulesVer != 1 || again.ID != sc.ID {
		t.Fatalf("the demo seed run again: %+v %v", again, err)
	}
	saved, err := s.UpdateScheme(ctx, sc.ID, store.Scheme{Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()}, store.SchemeEdit{By: store.ActorOf(head), Reason: "nothing"})
	if err != nil || saved.NewVersion || saved.Scheme.RulesVer != 1 {
		t.Fatalf("same rules saved: %+v %v", saved, err)
	}
	renamed, err := s.UpdateScheme(ctx, sc.ID, store.Scheme{Name: "Community Safety Fund", Rules: demo.GrassrootsRules()}, store.SchemeEdit{By: store.ActorOf(head), Reason: "New name"})
	if err != nil || renamed.NewVersion || renamed.Scheme.RulesVer != 1 || renamed.Scheme.Name != "Community Safety Fund" {
		t.Fatalf("renamed: %+v %v", renamed, err)
	}
	versions, _ := s.RulesVersions(ctx, sc.ID)
	if len(versions) != 1 || versions[0].ActorRole != "system" {
		t.Errorf("versions: %+v", versions)
	}
	events, _ := s.AdminEvents(ctx, store.AdminEventFilter{SubjectID: sc.ID, SubjectKind: "scheme"})
	if len(events) != 2 || events[0].Action != "scheme.updated" || events[0].What != "Changed the scheme's name Grassroots Community Fund → Community Safety Fund" || events[1].ActorName != "Grantflow" {
		t.Errorf("events: %+v", events)
	}
	// Invalid rules are refused with every problem named, and nothing changes.
	bad := demo.GrassrootsRules()
	bad.Criteria = append([]scheme.Criterion{}, bad.Criteria...)
	bad.Criteria[0].Weight = 5
	_, err = s.UpdateScheme(ctx, sc.ID, store.Scheme{Name: "Community Safety Fund", Rules: bad}, store.SchemeEdit{By: store.ActorOf(head), Reason: "x"})
	var p scheme.Problems
	if !errors.As(err, &p) || p["criteria"] != "the weights add up to 75%, not 100%" {
		t.Errorf("bad rules: %v", err)
	}
}

// Edits at the same moment queue on the scheme: each is kept as its own version, none is lost.
func TestConcurrentEditsKeepEveryVersion(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	head := headOfCommissioning(t, s)
	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := demo.GrassrootsRules()
			r.MaxAmount = money.Pounds(int64(6000 + i))
			_, err := s.UpdateScheme(ctx, sc.ID, store.Scheme{Name: sc.Name, Rules: r}, store.SchemeEdit{By: store.ActorOf(head), Reason: fmt.Sprintf("edit %d", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	versions, err := s.RulesVersions(ctx, sc.ID)
	if err != nil || len(versions) != n+1 {
		t.Fatalf("%d versions (%v), want %d", len(versions), err, n+1)
	}
	seen := map[money.Pence]bool{}
	for i, v := range versions {
		if v.Version != n+1-i || v.Rules.Version != v.Version {
			t.Errorf("version %d at %d: %+v", v.Version, i, v)
		}
		seen[v.Rules.MaxAmount] = true
	}
	if len(seen) != n+1 {
		t.Errorf("distinct rules kept: %d, want %d", len(seen), n+1)
	}
	now, _ := s.Scheme(ctx, sc.ID)
	if now.RulesVer != n+1 || now.Rules.MaxAmount != versions[0].Rules.MaxAmount {
		t.Errorf("the scheme is at version %d with %s; the newest kept is %s", now.RulesVer, now.Rules.MaxAmount, versions[0].Rules.MaxAmount)
	}
	events, _ := s.AdminEvents(ctx, store.AdminEventFilter{Action: "rules.versioned"})
	if len(events) != n {
		t.Errorf("%d rules.versioned events, want %d", len(events), n)
	}
}

// Two seeds creating the same scheme at once make one scheme with one version, and both succeed.
func TestConcurrentSeedsMakeOneScheme(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: demo.GrassrootsRules()})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, _ := s.Schemes(ctx)
	if len(list) != 1 {
		t.Fatalf("%d schemes", len(list))
	}
	versions, _ := s.RulesVersions(ctx, list[0].ID)
	events, _ := s.AdminEvents(ctx, store.AdminEventFilter{})
	if len(versions) != 1 || len(events) != 1 || events[0].Action != "scheme.created" {
		t.Errorf("versions %+v, events %+v", versions, events)
	}
}
