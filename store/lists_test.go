package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// walk reads a list from its first page to its last with pages of size, then back from the last
// to the first by the previous links, and returns the keys it saw each way.
func walk[T any](t *testing.T, size int, read func(store.PageRequest) ([]T, store.PageLinks, error), key func(T) string) (forward, back []string) {
	t.Helper()
	p := store.PageRequest{Size: size}
	var last store.PageLinks
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the list does not end")
		}
		rows, links, err := read(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > size {
			t.Fatalf("a page of %d rows, want at most %d", len(rows), size)
		}
		if (pages == 0) != (links.Previous == "") {
			t.Fatalf("page %d's previous = %q", pages+1, links.Previous)
		}
		for _, r := range rows {
			forward = append(forward, key(r))
		}
		last = links
		if links.Next == "" {
			break
		}
		p = store.PageRequest{Size: size, After: links.Next}
	}
	var pages [][]string
	for before := last.Previous; before != ""; {
		rows, links, err := read(store.PageRequest{Size: size, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range rows {
			keys = append(keys, key(r))
		}
		pages = append(pages, keys)
		before = links.Previous
	}
	for i := len(pages) - 1; i >= 0; i-- {
		back = append(back, pages[i]...)
	}
	return forward, back
}

// checkWalk walks the list two ways and wants each row once, in the order of want.
func checkWalk[T any](t *testing.T, what string, size int, want []string, read func(store.PageRequest) ([]T, store.PageLinks, error), key func(T) string) {
	t.Helper()
	forward, back := walk(t, size, read, key)
	if !slices.Equal(forward, want) {
		t.Errorf("%s, pages of %d: %v, want %v", what, size, forward, want)
	}
	// Back from the last page: every row before it, in the same order.
	if n := len(want) - len(back); n < 0 || n > size || !slices.Equal(back, want[:len(back)]) {
		t.Errorf("%s, back by previous: %v, want the start of %v", what, back, want)
	}
	if _, _, err := read(store.PageRequest{After: "not-a-cursor"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("%s: a forged cursor gives %v, want ErrBadCursor", what, err)
	}
}

func TestRegisterGrantsPagesTotalsAndSearch(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	accepted := time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)
	var refs []string
	for _, title := range []string{"100% safer streets", "Youth_club nights", "Plain project", "Another plain one", "A fifth"} {
		_, aw, _ := a.award("grassroots", title, money.Pounds(1000), accepted)
		refs = append(refs, aw.Reference)
	}
	// Every award here is decided at the same moment: the reference orders them.
	slices.Sort(refs)
	read := func(f store.RegisterFilter) func(store.PageRequest) ([]store.RegisterGrant, store.PageLinks, error) {
		return func(p store.PageRequest) ([]store.RegisterGrant, store.PageLinks, error) {
			reg, err := st.RegisterGrants(ctx, f, p)
			if err == nil && (reg.Count != len(reg.Grants) && p.Size >= reg.Count) {
				t.Errorf("count %d with every grant on one page of %d", reg.Count, len(reg.Grants))
			}
			return reg.Grants, reg.Links, err
		}
	}
	ref := func(g store.RegisterGrant) string { return g.Reference }
	checkWalk(t, "the register", 2, refs, read(store.RegisterFilter{}), ref)
	checkWalk(t, "the register", 5, refs, read(store.RegisterFilter{}), ref)

	reg, err := st.RegisterGrants(ctx, store.RegisterFilter{}, store.PageRequest{Size: 2})
	if err != nil || reg.Count != 5 || reg.Awarded != money.Pounds(5000) || reg.Paid != 0 || len(reg.Grants) != 2 {
		t.Fatalf("the first page's totals: %d grants, %s awarded, %s paid, %d shown (%v); want the totals of all five", reg.Count, reg.Awarded, reg.Paid, len(reg.Grants), err)
	}

	// The search is literal: % and _ are characters, not wildcards.
	for text, want := range map[string][]string{"100%": {"100% safer streets"}, "_": {"Youth_club nights"}, "%": {"100% safer streets"}, "PLAIN": {"Plain project", "Another plain one"},
		refs[2]: {""}} {
		reg, err := st.RegisterGrants(ctx, store.RegisterFilter{Text: text}, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range reg.Grants {
			got = append(got, g.Title)
		}
		if text == refs[2] {
			if len(reg.Grants) != 1 || reg.Grants[0].Reference != refs[2] || reg.Count != 1 {
				t.Errorf("search %q found %v", text, got)
			}
			continue
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || reg.Count != len(want) {
			t.Errorf("search %q found %v (count %d), want %v", text, got, reg.Count, want)
		}
	}
	// The downloads are searched as the page is.
	n := 0
	if err := st.EachRegisterGrant(ctx, store.RegisterFilter{Text: "plain"}, func(store.RegisterGrant) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("the download of a search lists %d (%v), want 2", n, err)
	}
}

func TestFinanceListsPagesAndSearch(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	accepted := time.Date(2026, 6, 10, 12, 0, 0, 0, scheme.London)
	var due []string
	grants := map[string][2]int64{} // title → application, award
	for i, title := range []string{"100% safer streets", "Youth_club nights", "Plain project"} {
		id, aw, _ := a.award("grassroots", title, money.Pounds(1000), accepted.AddDate(0, 0, i))
		due = append(due, aw.Reference+"/0")
		grants[title] = [2]int64{id, aw.ID}
	}
	service, aw, _ := a.award("commissioned-services", "Victim service", money.Pounds(100000), time.Date(2026, 3, 1, 12, 0, 0, 0, scheme.London))
	a.tranches(service, aw, "released", "held", "held", "held") // due 1 April 2026, then held
	due = append([]string{aw.Reference + "/1"}, due...)         // the earliest due
	through := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)

	key := func(d store.PaymentDue) string { return fmt.Sprintf("%s/%d", d.AwardRef, d.Tranche) }
	readDue := func(text string) func(store.PageRequest) ([]store.PaymentDue, store.PageLinks, error) {
		return func(p store.PageRequest) ([]store.PaymentDue, store.PageLinks, error) {
			return st.PaymentsDuePage(ctx, through, text, p)
		}
	}
	checkWalk(t, "payments due", 1, due, readDue(""), key)
	checkWalk(t, "payments due", 3, due, readDue(""), key)
	if all, err := st.PaymentsDue(ctx, through); err != nil || len(all) != 4 {
		t.Errorf("every payment due: %d (%v), want 4", len(all), err)
	}
	for text, want := range map[string][]string{"100%": {due[1]}, "_": {due[2]}, "%": {due[1]}, "victim": {due[0]}, "riverside": due} {
		got, _, err := st.PaymentsDuePage(ctx, through, text, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, d := range got {
			keys = append(keys, key(d))
		}
		if !slices.Equal(keys, want) {
			t.Errorf("payments due matching %q: %v, want %v", text, keys, want)
		}
	}

	heldKey := func(h store.HeldTranche) string { return fmt.Sprintf("%s/%d", h.AwardRef, h.Tranche) }
	held := []string{aw.Reference + "/2", aw.Reference + "/3", aw.Reference + "/4"}
	checkWalk(t, "held tranches", 2, held, func(p store.PageRequest) ([]store.HeldTranche, store.PageLinks, error) {
		return st.HeldTranchesPage(ctx, "", p)
	}, heldKey)
	if got, _, err := st.HeldTranchesPage(ctx, "100%", store.PageRequest{}); err != nil || len(got) != 0 {
		t.Errorf("held tranches matching 100%%: %v (%v), want none", got, err)
	}

	// Two underspends owed back, due on different days.
	var owed []string
	for i, app := range []string{"Youth_club nights", "Plain project"} {
		id, award := grants[app][0], grants[app][1]
		r, err := st.StartRecovery(ctx, store.Recovery{AwardID: award, ApplicationID: id, Reference: fmt.Sprintf("REC-%d", i+1), Amount: money.Pounds(100),
			DueOn: time.Date(2026, 9, 1+i, 0, 0, 0, 0, time.UTC), CreatedAt: accepted}, money.Pounds(900),
			store.FinanceNotice{Reference: fmt.Sprintf("REC-%d-N", i+1), Payee: "Riverside Youth Project", Amount: money.Pounds(100), Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: accepted},
			store.Document{ApplicationID: id, Kind: "finance_recovery_notice", Filename: "n.pdf", Content: []byte("%PDF-1.3 n")},
			store.Document{ApplicationID: id, Kind: "recovery_letter", Filename: "l.pdf", Content: []byte("%PDF-1.3 l")},
			a.event(id, accepted, "recovery"))
		if err != nil {
			t.Fatal(err)
		}
		owed = append(owed, r.Reference)
	}
	checkWalk(t, "repayments due", 1, owed, func(p store.PageRequest) ([]store.RecoveryDue, store.PageLinks, error) {
		return st.RecoveriesDuePage(ctx, "", p)
	}, func(r store.RecoveryDue) string { return r.Reference })
	if got, _, err := st.RecoveriesDuePage(ctx, "_", store.PageRequest{}); err != nil || len(got) != 1 || got[0].Reference != "REC-1" {
		t.Errorf("repayments due matching _: %+v (%v), want REC-1 only", got, err)
	}
}

func TestStaffPagesByNameAndSearch(t *testing.T) {
	st, _, _ := peopleStore(t) // Ada Admin, Oli Officer
	ctx := context.Background()
	for _, u := range []store.NewUser{
		{Email: "bea@opcc.example", Name: "bea Finance", Role: scheme.RoleFinance, Password: "finance password"},
		{Email: "pat_s@opcc.example", Name: "Pat Smith", Role: scheme.RoleAssessor, Password: "assessor password"},
		{Email: "zoe@opcc.example", Name: "Zoë 100% Head", Role: scheme.RoleHeadOfCommissioning, Password: "head password 1"},
		{Email: "applicant@example.org", Name: "An Applicant", Role: scheme.RoleApplicant, Password: "applicant password"},
	} {
		if _, err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Ada Admin", "bea Finance", "Oli Officer", "Pat Smith", "Zoë 100% Head"} // by name, whatever the case; no applicant
	name := func(m store.StaffMember) string { return m.Name }
	read := func(text string) func(store.PageRequest) ([]store.StaffMember, store.PageLinks, error) {
		return func(p store.PageRequest) ([]store.StaffMember, store.PageLinks, error) {
			return st.StaffPage(ctx, text, p)
		}
	}
	checkWalk(t, "staff", 2, want, read(""), name)
	if all, err := st.Staff(ctx); err != nil || len(all) != len(want) {
		t.Errorf("every member of staff: %d (%v)", len(all), err)
	}
	for text, found := range map[string][]string{"_": {"Pat Smith"}, "%": {"Zoë 100% Head"}, "OPCC.EXAMPLE": want[:5], "applicant": nil} {
		got, _, err := st.StaffPage(ctx, text, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range got {
			names = append(names, m.Name)
		}
		if !slices.Equal(names, found) {
			t.Errorf("staff matching %q: %v, want %v", text, names, found)
		}
	}
}

// A counted search reads its matches' ids once and takes the page from them (or, past the count's
// cap with a cursor, reads the page itself): every way gives the same pages, each way along, in
// both orders, with the same count.
func TestSearchPagesTheSameCountedOrNot(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	st.Quotas.DraftsPerOrganisation = 1000
	grass := a.schemeOf["grassroots"]
	var newest []string
	for i := range 13 {
		id, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: fmt.Sprintf("Project %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		newest = append([]string{fmt.Sprint(id)}, newest...)
	}
	oldest := slices.Clone(newest)
	slices.Reverse(oldest)
	key := func(app store.Application) string { return fmt.Sprint(app.ID) }
	for _, countUpTo := range []int{0, 100, 13, 12, 4} {
		for _, oldestFirst := range []bool{false, true} {
			want := newest
			if oldestFirst {
				want = oldest
			}
			read := func(p store.PageRequest) ([]store.Application, store.PageLinks, error) {
				page, err := st.SearchApplications(ctx, store.ApplicationSearch{OrganisationID: a.org, Text: "Project", OldestFirst: oldestFirst, CountUpTo: countUpTo, Page: p})
				if err == nil && countUpTo > 0 && (page.Total != min(13, countUpTo) || page.Capped != (countUpTo < 13)) {
					t.Errorf("counted up to %d: %d (capped %v), want %d", countUpTo, page.Total, page.Capped, min(13, countUpTo))
				}
				return page.Applications, page.Links, err
			}
			what := fmt.Sprintf("counted up to %d, oldest first %v", countUpTo, oldestFirst)
			for _, size := range []int{2, 5, 13} {
				checkWalk(t, what, size, want, read, key)
			}
		}
	}
}
