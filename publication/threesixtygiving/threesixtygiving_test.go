package threesixtygiving_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/publication/threesixtygiving"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

var publisher = threesixtygiving.Publisher{Prefix: "360G-opcc-example", FunderID: "GB-GOR-DEMO-OPCC", FunderName: "Office of the Police and Crime Commissioner (demo)",
	LicenceURL: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", SiteURL: "https://grants.example.org"}

// seeded is a register made through the store as the workflows' activities would leave it: grants
// of both kinds, a variation, a termination, and organisations registered and not.
type seeded struct {
	st                                *store.Store
	officer                           int64
	schemes                           map[string]store.Scheme
	rounds                            map[string]int64
	events                            int
	charityGrant, companyGrant, group int64 // application ids
	varied, ended                     int64
	groupOrg                          int64
	personal                          []string // what must never be published
}

func (s *seeded) event(app int64, at time.Time, status string) store.Event {
	s.events++
	return store.Event{Application: app, Key: fmt.Sprintf("360giving-test-%d", s.events), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
}

func (s *seeded) org(t *testing.T, name, typ, charity, company string) (int64, int64) {
	t.Helper()
	email := fmt.Sprintf("contact%d@%s.example.org", len(s.personal), strings.ReplaceAll(strings.ToLower(name), " ", "-"))
	o, u, err := s.st.CreateOrganisationWithUser(context.Background(), store.Organisation{Name: name, Type: typ, CharityNumber: charity, CompanyNumber: company,
		Address: "7 Quiet Lane, Leicester", Postcode: "LE2 9ZZ"}, store.NewUser{Email: email, Name: "Morwenna Testperson", Role: scheme.RoleApplicant, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	s.personal = append(s.personal, email, "Morwenna Testperson", "7 Quiet Lane", "LE2 9ZZ")
	return o.ID, u.ID
}

func (s *seeded) award(t *testing.T, slug string, org, user int64, title string, amount money.Pence, areas, wards []string, decided time.Time) (int64, store.Award) {
	t.Helper()
	ctx := context.Background()
	start, end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	id, err := s.st.CreateDraft(ctx, org, user, store.Draft{SchemeID: s.schemes[slug].ID, RoundID: s.rounds[slug], Title: title, Purpose: "Purpose of " + title,
		ProjectStart: &start, ProjectEnd: &end, Areas: areas, Priorities: []string{"Serious violence"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(wards) > 0 {
		if _, err := s.st.DB.ExecContext(ctx, `UPDATE applications SET wards = $2 WHERE id = $1`, id, wards); err != nil {
			t.Fatal(err)
		}
	}
	aw, err := s.st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: fmt.Sprintf("%s-2026-%04d", s.schemes[slug].Rules.Code, id), Amount: amount,
		Purpose: "Purpose of " + title, Conditions: json.RawMessage(`["Report at the end"]`), Reasons: "Reduces crime", ApprovedBy: s.officer,
		ApprovedRole: "officer", DelegationBand: "officer", RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)}, s.event(id, decided, "approved"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.SetAwardStatus(ctx, id, "accepted", &user, s.event(id, decided.AddDate(0, 0, 2), "accepted")); err != nil {
		t.Fatal(err)
	}
	return id, aw
}

func (s *seeded) pay(t *testing.T, app int64, aw store.Award, tranche int, amount money.Pence, on time.Time) {
	t.Helper()
	if _, err := s.st.RecordPayment(context.Background(), store.Payment{AwardID: aw.ID, Tranche: tranche, Amount: amount, PaidOn: on, Reference: "BACS",
		RecordedBy: s.officer, RecordedAt: on}, app, s.event(app, on, "paid")); err != nil {
		t.Fatal(err)
	}
}

const abbey, abbeyCode = "Leicester: Abbey", "E05010458"

func seed(t *testing.T) *seeded {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	if err := demo.Seed(ctx, st, time.Date(2026, 5, 1, 12, 0, 0, 0, scheme.London)); err != nil {
		t.Fatal(err)
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	s := &seeded{st: st, officer: officer.ID, schemes: map[string]store.Scheme{}, rounds: map[string]int64{}}
	// The grassroots scheme lists a ward with its code (the rules keep codes beside names).
	if _, err := st.DB.ExecContext(ctx, `UPDATE schemes SET rules = rules || $1::jsonb WHERE kind = 'grassroots'`,
		fmt.Sprintf(`{"wards": [%q], "ward_codes": {%q: %q}}`, abbey, abbey, abbeyCode)); err != nil {
		t.Fatal(err)
	}
	list, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		rounds, err := st.Rounds(ctx, sc.ID)
		if err != nil || len(rounds) == 0 {
			t.Fatal(rounds, err)
		}
		s.schemes[sc.Slug], s.rounds[sc.Slug] = sc, rounds[0].ID
		if sc.Rules.AreaCode("Leicester") != "E06000016" {
			t.Fatalf("demo scheme %s has no GSS code for Leicester: %v", sc.Slug, sc.Rules.AreaCodes)
		}
	}
	may := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	charity, charityUser := s.org(t, "Northfield Victim Support", scheme.OrgRegisteredCharity, "1123456", "")
	company, companyUser := s.org(t, "Safer Streets CIC", scheme.OrgCIC, "", "1234567")
	var groupUser int64
	s.groupOrg, groupUser = s.org(t, "Hillside Mums Walking Group", scheme.OrgCommunityGroup, "", "")

	var aw store.Award
	s.charityGrant, aw = s.award(t, "commissioned-services", charity, charityUser, "Victim support service", money.Pounds(60000), []string{"Leicester", "Rutland"}, nil, may)
	s.pay(t, s.charityGrant, aw, 1, money.Pounds(15000), may.AddDate(0, 1, 0))
	s.companyGrant, _ = s.award(t, "commissioned-services", company, companyUser, "Night-time economy marshals", money.Pounds(40000), []string{"Melton"}, nil, may.Add(time.Hour))
	s.group, aw = s.award(t, "grassroots", s.groupOrg, groupUser, "Evening walks in Abbey", money.Pounds(2500), []string{"Leicester"}, []string{abbey}, may.Add(2*time.Hour))
	s.pay(t, s.group, aw, 1, money.Pounds(2500), may.AddDate(0, 0, 5))

	// A variation: the service's amount rises to £90,000.
	s.varied, aw = s.award(t, "commissioned-services", charity, charityUser, "Youth diversion", money.Pounds(50000), []string{"Charnwood"}, nil, may.Add(3*time.Hour))
	years := []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(90000)}}
	yearsJSON, _ := json.Marshal(years)
	if err := st.ApplyVariation(ctx, store.Variation{ApplicationID: s.varied, AwardVersion: 2, Summary: "More sessions", Years: yearsJSON,
		Conditions: json.RawMessage(`[]`), DecidedBy: s.officer, DecidedRole: "officer", DelegationBand: "officer", RulesVersion: 1,
		DecidedAt: may.AddDate(0, 2, 0)}, s.schemes["commissioned-services"].ID, years, nil, s.event(s.varied, may.AddDate(0, 2, 0), "active")); err != nil {
		t.Fatal(err)
	}
	// A termination: £80,000 awarded, £20,000 paid, then ended; the award stands at what it paid.
	s.ended, aw = s.award(t, "commissioned-services", company, companyUser, "Schools programme", money.Pounds(80000), []string{"Blaby"}, nil, may.Add(4*time.Hour))
	s.pay(t, s.ended, aw, 1, money.Pounds(20000), may.AddDate(0, 1, 0))
	if err := st.CloseAward(ctx, s.ended, s.schemes["commissioned-services"].ID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(20000)}},
		nil, true, "The provider stopped delivering", s.event(s.ended, may.AddDate(0, 3, 0), "final_report")); err != nil {
		t.Fatal(err)
	}
	return s
}

func writeJSON(t *testing.T, s *seeded) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := publisher.WriteJSON(context.Background(), s.st, store.RegisterFilter{}, &buf, time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func grantsOf(t *testing.T, raw []byte) map[string]map[string]any {
	t.Helper()
	var pkg struct{ Grants []map[string]any }
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&pkg); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	out := map[string]map[string]any{}
	for _, g := range pkg.Grants {
		out[g["id"].(string)] = g
	}
	return out
}

func TestPackageOfBothKindsValidatesAndSaysWhatWasDecided(t *testing.T) {
	s := seed(t)
	raw := writeJSON(t, s)
	if err := threesixtygiving.Validate(bytes.NewReader(raw)); err != nil {
		t.Fatalf("our package is refused: %v\n%s", err, raw)
	}
	grants := grantsOf(t, raw)
	if len(grants) != 5 {
		t.Fatalf("the package has %d grants, want 5:\n%s", len(grants), raw)
	}
	id := func(app int64, slug string) string {
		return fmt.Sprintf("360G-opcc-example-%s-2026-%04d", s.schemes[slug].Rules.Code, app)
	}
	get := func(app int64, slug string) map[string]any {
		g := grants[id(app, slug)]
		if g == nil {
			t.Fatalf("no grant %s in %s", id(app, slug), raw)
		}
		return g
	}
	recipient := func(g map[string]any) map[string]any { return g["recipientOrganization"].([]any)[0].(map[string]any) }
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	c := get(s.charityGrant, "commissioned-services")
	check("charity's id", recipient(c)["id"], "GB-CHC-1123456")
	check("charity's number", recipient(c)["charityNumber"], "1123456")
	check("service amount", c["amountAwarded"], "60000.00")
	check("service disbursed", c["amountDisbursed"], "15000.00")
	check("currency", c["currency"], "GBP")
	check("award date", c["awardDate"], "2026-05-04")
	check("planned dates", c["plannedDates"], []any{map[string]any{"startDate": "2026-06-01", "endDate": "2027-03-31"}})
	check("programme", c["grantProgramme"], []any{map[string]any{"code": s.schemes["commissioned-services"].Rules.Code, "title": s.schemes["commissioned-services"].Name}})
	check("funder", c["fundingOrganization"], []any{map[string]any{"id": "GB-GOR-DEMO-OPCC", "name": publisher.FunderName}})
	check("areas", c["beneficiaryLocation"], []any{
		map[string]any{"name": "Leicester", "geoCode": "E06000016", "geoCodeType": "UA"},
		map[string]any{"name": "Rutland", "geoCode": "E06000017", "geoCodeType": "UA"}})

	check("company's id", recipient(get(s.companyGrant, "commissioned-services"))["id"], "GB-COH-01234567")
	check("district", get(s.companyGrant, "commissioned-services")["beneficiaryLocation"], []any{map[string]any{"name": "Melton", "geoCode": "E07000133", "geoCodeType": "NMD"}})

	g := get(s.group, "grassroots")
	check("group's id", recipient(g)["id"], fmt.Sprintf("360G-opcc-example-ORG-%d", s.groupOrg))
	if _, ok := recipient(g)["charityNumber"]; ok {
		t.Errorf("an unregistered group has a charity number: %v", recipient(g))
	}
	check("group's name", recipient(g)["name"], "Hillside Mums Walking Group")
	check("area and ward", g["beneficiaryLocation"], []any{
		map[string]any{"name": "Leicester", "geoCode": "E06000016", "geoCodeType": "UA"},
		map[string]any{"name": abbey, "geoCode": abbeyCode, "geoCodeType": "WD"}})
	check("grant paid", g["amountDisbursed"], "2500.00")

	v := get(s.varied, "commissioned-services")
	check("varied amount", v["amountAwarded"], "90000.00")
	check("varied last modified", v["dateModified"], "2026-07-04T10:00:00Z")
	e := get(s.ended, "commissioned-services")
	check("ended amount", e["amountAwarded"], "20000.00")
	check("ended disbursed", e["amountDisbursed"], "20000.00")
	check("ended planned end", e["plannedDates"].([]any)[0].(map[string]any)["endDate"], "2026-09-30")

	for _, p := range s.personal {
		if bytes.Contains(raw, []byte(p)) {
			t.Errorf("the package publishes %q", p)
		}
	}
	if bytes.Contains(raw, []byte("Reduces crime")) || bytes.Contains(raw, []byte("Report at the end")) {
		t.Errorf("the package carries reasons or conditions, which 360Giving has no field for (the register carries them)")
	}
}

func TestCSVReadsBackToTheSamePackageAndValidates(t *testing.T) {
	s := seed(t)
	raw := writeJSON(t, s)
	var buf bytes.Buffer
	if err := publisher.WriteCSV(context.Background(), s.st, store.RegisterFilter{}, &buf); err != nil {
		t.Fatal(err)
	}
	csvText := buf.String()
	head := strings.SplitN(csvText, "\n", 2)[0]
	for _, col := range []string{"Identifier", "Title", "Description", "Currency", "Amount Awarded", "Amount Disbursed", "Award Date",
		"Planned Dates:Start Date", "Planned Dates:End Date", "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number",
		"Recipient Org:Company Number", "Funding Org:Identifier", "Funding Org:Name", "Grant Programme:Code", "Grant Programme:Title",
		"Beneficiary Location:0:Name", "Beneficiary Location:0:Geographic Code", "Beneficiary Location:0:Geographic Code Type",
		"Beneficiary Location:1:Geographic Code", "Last Modified"} {
		if !strings.Contains(","+head+",", ","+col+",") {
			t.Errorf("the CSV has no column %q: %s", col, head)
		}
	}
	if err := threesixtygiving.ValidateCSV(strings.NewReader(csvText)); err != nil {
		t.Fatalf("our CSV is refused: %v\n%s", err, csvText)
	}
	doc, err := threesixtygiving.UnflattenCSV(strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	back, _ := json.Marshal(doc)
	fromCSV, fromJSON := grantsOf(t, back), grantsOf(t, raw)
	if !reflect.DeepEqual(fromCSV, fromJSON) {
		for id := range fromJSON {
			if !reflect.DeepEqual(fromCSV[id], fromJSON[id]) {
				t.Errorf("grant %s\nfrom the CSV:  %v\nfrom the JSON: %v", id, fromCSV[id], fromJSON[id])
			}
		}
		t.Fatalf("the CSV says something else than the JSON")
	}
}

func TestValidatorRefusesWhatTheStandardDoesNot(t *testing.T) {
	good := `{"grants":[{"id":"360G-x-1","title":"t","description":"d","currency":"GBP","amountAwarded":10,"awardDate":"2026-05-01",
		"recipientOrganization":[{"id":"GB-CHC-1","name":"r"}],"fundingOrganization":[{"id":"GB-GOR-1","name":"f"}],
		"beneficiaryLocation":[{"name":"Leicester","geoCode":"E06000016","geoCodeType":"UA"}]}]}`
	if err := threesixtygiving.Validate(strings.NewReader(good)); err != nil {
		t.Fatalf("a minimal valid package is refused: %v", err)
	}
	for name, bad := range map[string]string{
		"no grants":               `{"grants":[]}`,
		"not JSON":                `{"grants":[`,
		"currency not ISO 4217":   strings.Replace(good, `"GBP"`, `"GBX"`, 1),
		"amount as text":          strings.Replace(good, `10`, `"10"`, 1),
		"award date not a date":   strings.Replace(good, `2026-05-01`, `01/05/2026`, 1),
		"no recipient":            strings.Replace(good, `"recipientOrganization":[{"id":"GB-CHC-1","name":"r"}],`, ``, 1),
		"LAD is not a code type":  strings.Replace(good, `"UA"`, `"LAD"`, 1),
		"funder without name":     strings.Replace(good, `"id":"GB-GOR-1","name":"f"`, `"id":"GB-GOR-1"`, 1),
		"no description":          strings.Replace(good, `"description":"d",`, ``, 1),
		"licence not an address":  strings.Replace(good, `{"grants":`, `{"license":"OGL","grants":`, 1),
		"version not major.minor": strings.Replace(good, `{"grants":`, `{"version":"1.4.3","grants":`, 1),
		"the same grant twice":    strings.Replace(good, `]}]}`, `]},`+good[strings.Index(good, `[{`)+1:strings.LastIndex(good, `]`)]+`]}`, 1),
		"two grants lists":        strings.Replace(good, `]}]}`, `]}],"grants":[]}`, 1),
		"more after the package":  good + `{}`,
	} {
		err := threesixtygiving.Validate(strings.NewReader(bad))
		if !errors.Is(err, threesixtygiving.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want a refusal", name, err)
		}
	}
	if err := threesixtygiving.ValidateCSV(strings.NewReader("Identifier,Titel\n360G-x-1,t\n")); !errors.Is(err, threesixtygiving.ErrInvalid) {
		t.Errorf("a CSV with a misspelt column: %v, want a refusal", err)
	}
	if err := threesixtygiving.ValidateCSV(strings.NewReader("Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,Funding Org:Identifier,Funding Org:Name\n" +
		"360G-x-1,t,d,GBP,ten,2026-05-01,GB-CHC-1,r,GB-GOR-1,f\n")); !errors.Is(err, threesixtygiving.ErrInvalid) {
		t.Errorf("a CSV with an amount in words: %v, want a refusal", err)
	}
}

func TestCodesAreTheStandardsCodelists(t *testing.T) {
	currencies, err := threesixtygiving.LoadCodelist("currency.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !currencies[threesixtygiving.Currency] {
		t.Errorf("%s is not in currency.csv", threesixtygiving.Currency)
	}
	types, err := threesixtygiving.LoadCodelist("geoCodeType.csv")
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"E05010458": "WD", "E06000016": "UA", "E07000130": "NMD", "E08000001": "MD", "E09000001": "LONB",
		"W06000001": "UA", "S12000005": "CA", "W05000041": "WD", "X99": "", "": ""} {
		got := threesixtygiving.GeoCodeType(code)
		if got != want || (got != "" && !types[got]) {
			t.Errorf("GeoCodeType(%q) = %q, want %q from geoCodeType.csv", code, got, want)
		}
	}
	// Every code of every demo scheme's areas and wards has a type in the codelist.
	for _, r := range []scheme.Rules{demo.GrassrootsRules(), demo.ServiceRules()} {
		for name, code := range r.AreaCodes {
			if t2 := threesixtygiving.GeoCodeType(code); !types[t2] {
				t.Errorf("area %s (%s) has no geoCodeType in the codelist", name, code)
			}
		}
		for name, code := range r.WardCodes {
			if t2 := threesixtygiving.GeoCodeType(code); t2 != "WD" {
				t.Errorf("ward %s (%s) is %q, want WD", name, code, t2)
			}
		}
	}
}

func TestIdentifiers(t *testing.T) {
	for _, c := range []struct{ charity, company, want string }{
		{"1123456", "", "GB-CHC-1123456"},
		{" 1123456 ", "07654321", "GB-CHC-1123456"},
		{"SC012345", "", "GB-SC-SC012345"},
		{"NIC100012", "", "GB-NIC-100012"},
		{"", "1234567", "GB-COH-01234567"},
		{"", "SC123456", "GB-COH-SC123456"},
		{"", "", "360G-opcc-example-ORG-42"},
	} {
		if got := publisher.RecipientID(c.charity, c.company, 42); got != c.want {
			t.Errorf("RecipientID(%q, %q) = %q, want %q", c.charity, c.company, got, c.want)
		}
	}
	if got := publisher.GrantID("PCC/2026 7"); got != "360G-opcc-example-PCC-2026-7" {
		t.Errorf("GrantID = %q", got)
	}
	for _, bad := range []threesixtygiving.Publisher{
		{Prefix: "opcc-example", FunderID: "GB-GOR-X1", FunderName: "F"},
		{Prefix: "360G-opcc-", FunderID: "GB-GOR-X1", FunderName: "F"},
		{Prefix: "360G-opcc", FunderID: "not an id", FunderName: "F"},
		{Prefix: "360G-opcc", FunderID: "GB-GOR-X1", FunderName: " "},
	} {
		if bad.Check() == nil {
			t.Errorf("%+v is accepted", bad)
		}
	}
	if err := publisher.Check(); err != nil {
		t.Errorf("the demo publisher is refused: %v", err)
	}
}

// failing streams n grants, then fails; or fails before any when n is 0.
type failing struct {
	*store.Store
	n int
}

func (f failing) EachRegisterGrant(ctx context.Context, filter store.RegisterFilter, fn func(store.RegisterGrant) error) error {
	for i := range f.n {
		if err := fn(store.RegisterGrant{Reference: fmt.Sprintf("R-%d", i), Title: "T", Recipient: "R", OrganisationID: 1, Amount: 100, AwardedAt: time.Now()}); err != nil {
			return err
		}
	}
	return errors.New("connection reset")
}

func (f failing) Schemes(context.Context) ([]store.Scheme, error) { return nil, nil }
func (f failing) RegisterMostPlaces(context.Context) (int, error) { return 0, nil }

type empty struct{ failing }

func (empty) EachRegisterGrant(context.Context, store.RegisterFilter, func(store.RegisterGrant) error) error {
	return nil
}

func TestAFailureBeforeTheFirstGrantWritesNothingAndAfterItSaysSo(t *testing.T) {
	ctx := context.Background()
	// 2,000 grants are well over the writers' 64 KiB buffer: they have started; 3 have not.
	for _, n := range []int{0, 3, 2000} {
		var j, c bytes.Buffer
		errJ := publisher.WriteJSON(ctx, failing{n: n}, store.RegisterFilter{}, &j, time.Now())
		errC := publisher.WriteCSV(ctx, failing{n: n}, store.RegisterFilter{}, &c)
		if errJ == nil || errC == nil {
			t.Fatalf("%d grants then a failure: JSON %v, CSV %v", n, errJ, errC)
		}
		if n < 2000 && (j.Len() > 0 || c.Len() > 0 || threesixtygiving.Started(errJ) || threesixtygiving.Started(errC)) {
			t.Errorf("a failure before the first grant wrote %q and %q (started %v %v)", j.String(), c.String(), threesixtygiving.Started(errJ), threesixtygiving.Started(errC))
		}
		if n == 2000 && (!threesixtygiving.Started(errJ) || !threesixtygiving.Started(errC)) {
			t.Errorf("a failure after the first grant is not reported as started: %v %v", errJ, errC)
		}
	}
	var j, c bytes.Buffer
	if err := publisher.WriteJSON(ctx, empty{}, store.RegisterFilter{}, &j, time.Now()); !errors.Is(err, threesixtygiving.ErrNoGrants) || j.Len() > 0 {
		t.Errorf("an empty register's JSON: %v, %q; want ErrNoGrants and nothing written", err, j.String())
	}
	if err := publisher.WriteCSV(ctx, empty{}, store.RegisterFilter{}, &c); err != nil || strings.Count(c.String(), "\n") != 1 {
		t.Errorf("an empty register's CSV: %v, %q; want the header alone", err, c.String())
	}
}
