package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// Staff's search of every application: each filter alone, the text matching literally, and paging.
func TestSearchApplications(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	other, applicant, err := st.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Canal_Side 100% Trust", Type: scheme.OrgCommunityGroup,
		Address: "1 Wharf Lane", Postcode: "LE1 1AA"}, store.NewUser{Email: "lead@canalside.example.org", Name: "Canal Lead", Role: scheme.RoleApplicant, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	grass, service := a.schemeOf["grassroots"], a.schemeOf["commissioned-services"]
	later, err := st.AddRound(ctx, store.Round{SchemeID: grass[0], Name: "2027-28 round",
		OpensAt: time.Date(2027, time.April, 1, 0, 0, 0, 0, scheme.London), ClosesAt: time.Date(2028, time.April, 1, 0, 0, 0, 0, scheme.London)})
	if err != nil {
		t.Fatal(err)
	}
	draft := func(org, user, schemeID, roundID int64, title string) int64 {
		t.Helper()
		id, err := st.CreateDraft(ctx, org, user, store.Draft{SchemeID: schemeID, RoundID: roundID, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	awarded, aw, _ := a.award("grassroots", "Safer streets", 250000, time.Time{})
	youth := draft(a.org, a.user, grass[0], grass[1], "Youth club nights")
	victims := draft(a.org, a.user, service[0], service[1], "Victim support service")
	canal := draft(other.ID, applicant.ID, grass[0], later.ID, "Towpath patrols")
	percent := draft(other.ID, applicant.ID, grass[0], grass[1], "50% more lighting")
	// A year of the award (as a service award's years are saved) counts as well as the round's.
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO award_years (award_id, financial_year, amount_pence) VALUES ($1, 2028, 250000)`, aw.ID); err != nil {
		t.Fatal(err)
	}

	ids := func(f store.ApplicationSearch) []int64 {
		t.Helper()
		page, err := st.SearchApplications(ctx, f)
		if err != nil {
			t.Fatalf("search %+v: %v", f, err)
		}
		var out []int64
		for _, app := range page.Applications {
			out = append(out, app.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    store.ApplicationSearch
		want []int64
	}{
		"everything, newest first":    {store.ApplicationSearch{}, []int64{percent, canal, victims, youth, awarded}},
		"award reference":             {store.ApplicationSearch{Text: aw.Reference}, []int64{awarded}},
		"organisation, any case":      {store.ApplicationSearch{Text: "canal_side"}, []int64{percent, canal}},
		"title":                       {store.ApplicationSearch{Text: "youth CLUB"}, []int64{youth}},
		"application reference":       {store.ApplicationSearch{Text: store.ApplicationReference(youth)}, []int64{youth}},
		"reference, any case, short":  {store.ApplicationSearch{Text: fmt.Sprintf(" app-%d ", youth)}, []int64{youth}},
		"% is literal":                {store.ApplicationSearch{Text: "50%"}, []int64{percent}},
		"% alone matches only a %":    {store.ApplicationSearch{Text: "%"}, []int64{percent, canal}},
		"_ is literal":                {store.ApplicationSearch{Text: "l_side"}, []int64{percent, canal}},
		"_ does not match a space":    {store.ApplicationSearch{Text: "Youth_club"}, nil},
		"scheme":                      {store.ApplicationSearch{SchemeID: service[0]}, []int64{victims}},
		"round":                       {store.ApplicationSearch{RoundID: later.ID}, []int64{canal}},
		"stage":                       {store.ApplicationSearch{Status: "offered"}, []int64{awarded}},
		"financial year of the round": {store.ApplicationSearch{FinancialYear: 2027}, []int64{canal}},
		"organisation":                {store.ApplicationSearch{OrganisationID: other.ID}, []int64{percent, canal}},
		"financial year of the award": {store.ApplicationSearch{FinancialYear: 2028}, []int64{awarded}},
		"filters together":            {store.ApplicationSearch{SchemeID: grass[0], Status: "draft", Text: "trust"}, []int64{percent, canal}},
		"stages of a work queue":      {store.ApplicationSearch{Statuses: []string{"offered", "nonsense"}}, []int64{awarded}},
		"oldest first":                {store.ApplicationSearch{OldestFirst: true, Page: store.PageRequest{Size: 2}}, []int64{awarded, youth}},
		"a reference beyond 32 bits":  {store.ApplicationSearch{Text: "APP-3000000000"}, nil},
	} {
		if got := ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	counted, err := st.SearchApplications(ctx, store.ApplicationSearch{CountUpTo: 3, Page: store.PageRequest{Size: 2}})
	if err != nil || counted.Total != 3 || !counted.Capped || len(counted.Applications) != 2 {
		t.Errorf("counted up to 3: %d of %d, capped %v (%v), want 2 of 3, capped", len(counted.Applications), counted.Total, counted.Capped, err)
	}
	if _, err := st.SearchApplications(ctx, store.ApplicationSearch{Page: store.PageRequest{After: "not a cursor"}}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("a forged cursor: %v, want ErrBadCursor", err)
	}
}

// A list longer than a page, walked to its end by its next cursors while applications are added
// between the pages, shows every application that was there when the walk began exactly once, in
// order; walked back by its previous cursors it shows the same pages.
func TestSearchPagesWalkEveryApplicationOnce(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	grass := a.schemeOf["grassroots"]
	draft := func(title string) int64 {
		t.Helper()
		id, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: title})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	st.Quotas.DraftsPerOrganisation = 1000
	var before []int64
	for i := range 23 {
		before = append(before, draft(fmt.Sprintf("Project %d", i)))
	}
	slices.Reverse(before) // newest first
	f := store.ApplicationSearch{OrganisationID: a.org, Page: store.PageRequest{Size: 5}}
	var seen []int64
	var pages []store.SearchPage
	for range 10 {
		page, err := st.SearchApplications(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		for _, app := range page.Applications {
			seen = append(seen, app.ID)
		}
		draft("Added while paging") // newer than every row seen: it belongs before the first page
		if page.Links.Next == "" {
			break
		}
		f.Page = store.PageRequest{After: page.Links.Next, Size: 5}
	}
	if !slices.Equal(seen, before) {
		t.Fatalf("walked %v,\nwant %v (none missed, none repeated)", seen, before)
	}
	if len(pages) != 5 || pages[0].Links.Previous != "" || pages[4].Links.Next != "" {
		t.Errorf("%d pages, first's previous %q, last's next %q: want 5, neither", len(pages), pages[0].Links.Previous, pages[4].Links.Next)
	}
	// Back from the last page to the second by the previous cursors: the same pages.
	p := pages[4]
	for i := 3; i >= 1; i-- {
		back, err := st.SearchApplications(ctx, store.ApplicationSearch{OrganisationID: a.org, Page: store.PageRequest{Before: p.Links.Previous, Size: 5}})
		if err != nil {
			t.Fatal(err)
		}
		got, want := idsOf(back.Applications), idsOf(pages[i].Applications)
		if !slices.Equal(got, want) {
			t.Errorf("page %d walked back: %v, want %v", i+1, got, want)
		}
		p = back
	}
}

func idsOf(apps []store.Application) []int64 {
	var out []int64
	for _, a := range apps {
		out = append(out, a.ID)
	}
	return out
}

// An application's case officer: assigned, reassigned (the history names who assigned whom, and
// whom they replaced), found by the search's case officer filter (or as not assigned), and
// assigning the same officer again writes nothing.
func TestAssignCaseOfficer(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	grass := a.schemeOf["grassroots"]
	youth, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: "Youth club nights"})
	if err != nil {
		t.Fatal(err)
	}
	lights, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: "Brighter alleys"})
	if err != nil {
		t.Fatal(err)
	}
	officer, err := st.User(ctx, a.officer)
	if err != nil {
		t.Fatal(err)
	}
	head, err := st.UserByEmail(ctx, "head@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, scheme.London)
	if err := st.AssignCaseOfficer(ctx, youth, officer, head, at); err != nil {
		t.Fatal(err)
	}
	app, err := st.Application(ctx, youth)
	if err != nil || app.CaseOfficerID == nil || *app.CaseOfficerID != officer.ID || app.CaseOfficer == nil || *app.CaseOfficer != officer.Name {
		t.Fatalf("after assigning, the case officer is %v %v (%v)", app.CaseOfficerID, app.CaseOfficer, err)
	}
	if app.Status != "draft" {
		t.Errorf("assigning moved the application to %s", app.Status)
	}
	if err := st.AssignCaseOfficer(ctx, youth, officer, head, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.AssignCaseOfficer(ctx, youth, head, head, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	events, err := st.Timeline(ctx, youth)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range events {
		lines = append(lines, e.What+" | "+e.Why+" | "+e.ActorName+" | "+e.At.In(scheme.London).Format("15:04"))
	}
	want := []string{"Case officer assigned: " + officer.Name + " |  | " + head.Name + " | 09:00",
		"Case officer assigned: " + head.Name + " | Replaces " + officer.Name + ". | " + head.Name + " | 10:00"}
	if !slices.Equal(lines, want) {
		t.Errorf("history:\n %q\nwant %q", lines, want)
	}
	for name, c := range map[string]struct {
		id   int64
		want []int64
	}{"the head's": {head.ID, []int64{youth}}, "the officer's (reassigned away)": {officer.ID, nil}, "not assigned": {store.NoCaseOfficer, []int64{lights}}} {
		page, err := st.SearchApplications(ctx, store.ApplicationSearch{CaseOfficerID: c.id})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, app := range page.Applications {
			got = append(got, app.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s applications: %v, want %v", name, got, c.want)
		}
	}
	if err := st.AssignCaseOfficer(ctx, 999999, head, head, at); err != store.ErrNotFound {
		t.Errorf("assigning on no application: %v, want not found", err)
	}
}

// The search reads applications.search_text, which the database keeps right whoever writes: a
// draft's new title, its organisation's new name and an award made later are found, what they
// replaced is not, and a match never spans two of the fields.
func TestSearchTextFollowsEveryChange(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	grass := a.schemeOf["grassroots"]
	id, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: "Towpath patrols"})
	if err != nil {
		t.Fatal(err)
	}
	found := func(text string) bool {
		t.Helper()
		page, err := st.SearchApplications(ctx, store.ApplicationSearch{Text: text})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		return slices.Contains(idsOf(page.Applications), id)
	}
	if err := st.UpdateDraft(ctx, id, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: "Canal bank lighting"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `UPDATE organisations SET name = 'Wharfside Neighbours' WHERE id = $1`, a.org); err != nil {
		t.Fatal(err)
	}
	decided := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: "GF-2026-TOW1", Amount: 100000, Purpose: "Purpose",
		Conditions: []byte("[]"), Reasons: "Reasons", ApprovedBy: a.officer, ApprovedRole: "officer", DelegationBand: "officer",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)}, a.event(id, decided, "approved")); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		"canal bank": true, "Towpath": false, // the title, new and old
		"wharfside neigh": true, "Riverside Youth": false, // the organisation's name, new and old
		"2026-tow1":     true,                                                           // the award's reference
		"TOW1Wharfside": false, "Neighbours\x1fCanal": false, "Neighbours Canal": false, // across two fields
	} {
		if got := found(text); got != want {
			t.Errorf("search %q finds the application: %v, want %v", text, got, want)
		}
	}

	// The awards' triggers work by statement (00039): an update that leaves the reference alone
	// keeps it, a changed reference replaces it, and a removed award takes it away.
	steps := []struct {
		sql   string
		found map[string]bool
	}{
		{`UPDATE awards SET purpose = 'Another purpose' WHERE application_id = $1`, map[string]bool{"2026-tow1": true}},
		{`UPDATE awards SET reference = 'GF-2026-TOW2' WHERE application_id = $1`, map[string]bool{"2026-tow2": true, "2026-tow1": false, "canal bank": true}},
		{`DELETE FROM awards WHERE application_id = $1`, map[string]bool{"2026-tow2": false, "canal bank": true, "wharfside neigh": true}},
	}
	for _, step := range steps {
		if _, err := st.DB.ExecContext(ctx, step.sql, id); err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		for text, want := range step.found {
			if got := found(text); got != want {
				t.Errorf("after %q, search %q finds the application: %v, want %v", step.sql, text, got, want)
			}
		}
	}
}

// An assessor's search leaves out what they may not score (a service application whose panel
// they are not waiting on, one they declared a conflict in), in the query: a page of their queue
// is full while more they may score wait beyond the ones left out.
func TestSearchForAssessor(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	st.Quotas.DraftsPerOrganisation = 1000
	assessor, err := st.UserByEmail(ctx, "assessor@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	draft := func(slug, title string) int64 {
		t.Helper()
		ids := a.schemeOf[slug]
		id, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: ids[0], RoundID: ids[1], Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if slug == "commissioned-services" {
			if _, err := st.DB.ExecContext(ctx, `UPDATE applications SET service = '{}' WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.RecordEvent(ctx, a.event(id, at, "assessment")); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// The oldest: service applications with no panel or another's, and one the assessor is conflicted in.
	var leftOut []int64
	for i := range 4 {
		leftOut = append(leftOut, draft("commissioned-services", fmt.Sprintf("Not on the panel %d", i)))
	}
	if err := st.AssignPanel(ctx, leftOut[0], []int64{a.officer}, a.officer, at.AddDate(0, 0, 14), a.event(leftOut[0], at, "assessment")); err != nil {
		t.Fatal(err)
	}
	conflicted := draft("grassroots", "Conflicted")
	if err := st.SaveConflict(ctx, store.Conflict{ApplicationID: conflicted, UserID: assessor.ID, HasConflict: true, Details: "Trustee", DeclaredAt: at},
		a.event(conflicted, at, "assessment")); err != nil {
		t.Fatal(err)
	}
	leftOut = append(leftOut, conflicted)
	// Then what they may score: one-off grants, and a service application whose panel waits on them.
	var mine []int64
	for i := range 3 {
		mine = append(mine, draft("grassroots", fmt.Sprintf("Anyone may score %d", i)))
	}
	panel := draft("commissioned-services", "On the panel")
	if err := st.AssignPanel(ctx, panel, []int64{assessor.ID}, a.officer, at.AddDate(0, 0, 14), a.event(panel, at, "assessment")); err != nil {
		t.Fatal(err)
	}
	mine = append(mine, panel)

	search := store.ApplicationSearch{Statuses: []string{"assessment"}, OldestFirst: true, ForAssessor: assessor.ID, Page: store.PageRequest{Size: 3}}
	first, err := st.SearchApplications(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(first.Applications); !slices.Equal(got, mine[:3]) || first.Links.Next == "" {
		t.Fatalf("the assessor's first page: %v (next %q), want %v and a next page", got, first.Links.Next, mine[:3])
	}
	search.Page.After = first.Links.Next
	second, err := st.SearchApplications(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(second.Applications); !slices.Equal(got, mine[3:]) || second.Links.Next != "" {
		t.Errorf("the assessor's second page: %v (next %q), want %v and no more", got, second.Links.Next, mine[3:])
	}
	// Once they have scored it, it leaves their queue; everyone else still sees all of them.
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO assessments (application_id, round, assessor_id, scores, weighted, fundable, recommendation, submitted_at)
		VALUES ($1, 1, $2, '[]', 70, true, 'fund', $3)`, panel, assessor.ID, at); err != nil {
		t.Fatal(err)
	}
	search.Page = store.PageRequest{Size: 50}
	all, err := st.SearchApplications(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(all.Applications); !slices.Equal(got, mine[:3]) {
		t.Errorf("after scoring the panel's application the assessor sees %v, want %v", got, mine[:3])
	}
	search.ForAssessor = 0
	everyone, err := st.SearchApplications(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(everyone.Applications); len(got) != len(leftOut)+len(mine) {
		t.Errorf("without ForAssessor the search finds %d, want %d", len(got), len(leftOut)+len(mine))
	}
}

// A phrase of several words is narrowed by its whole words' index (migration 00040) but finds
// exactly what its text matches, as any other search does: a first word that is the end of a
// longer one, a last that is the start of one, any case, and never words that are merely there
// in another order or joined by other characters.
func TestSearchByPhraseFindsWhatItsTextMatches(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	st.Quotas.DraftsPerOrganisation = 1000
	grass := a.schemeOf["grassroots"]
	for _, title := range []string{"Street lighting near Oakham station", "STREET LIGHTING NEAR OAKHAMPTON", "Street-lighting near Oakham",
		"Oakham near lighting street", "Streetlighting near Oakham", "Lighting the street near Oakham", "Street lighting  near Oakham",
		"Youth work near the station", "Street lighting near Oakham's station",
		"Street lighting near İlkley", "Street lighting near \u212Aibworth"} { // İ and the Kelvin sign lower-case to i and k
		if _, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: grass[0], RoundID: grass[1], Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	for _, typed := range []string{"treet lighting near Oakh", "Street lighting near Oakham station", "lighting near oakham", "LIGHTING NEAR OAKHAMP",
		"street lighting near oakham s", "near Oakham station", "work near the station", "lighting near Oakham's", "Street lighting near",
		"lighting near ilkley", "lighting near kibworth", "LIGHTING NEAR KIB"} {
		// What the text matches, as PostgreSQL's ILIKE has it (its lower-casing, not Go's).
		var want []int64
		if err := st.DB.SelectContext(ctx, &want, `SELECT id FROM applications WHERE organisation_id = $1 AND title ILIKE $2`, a.org, "%"+typed+"%"); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("nothing's text matches %q: the case proves nothing", typed)
		}
		page, err := st.SearchApplications(ctx, store.ApplicationSearch{Text: typed, OrganisationID: a.org, CountUpTo: 100})
		if err != nil {
			t.Fatalf("search %q: %v", typed, err)
		}
		got := idsOf(page.Applications)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || page.Total != len(want) {
			t.Errorf("search %q found %v (counted %d), want %v", typed, got, page.Total, want)
		}
	}
}
