package threesixtygiving

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// Publisher is who publishes the file and how its identifiers are made: configuration, never code.
type Publisher struct {
	// Prefix is the publisher's 360Giving prefix, issued by 360Giving: "360G-opcc-example".
	Prefix string
	// FunderID and FunderName are the funding organisation, its id from org-id.guide ("GB-GOR-…").
	FunderID   string
	FunderName string
	// LicenceURL is the licence the data is published under (the Open Government Licence by default).
	LicenceURL string
	// SiteURL is the site's public address ("https://grants.example.org"); the package names its
	// download and access addresses from it. Optional.
	SiteURL string
}

// The demo's settings, and the licence published data takes unless configured otherwise.
const (
	DemoPrefix            = "360G-opcc-example"
	DemoFunderID          = "GB-GOR-DEMO-OPCC"
	OpenGovernmentLicence = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
)

// OrDefaults fills what is unset with the demo's settings (tests and tools that build a
// configuration by hand); funder names the funding body when FunderName is empty.
func (p Publisher) OrDefaults(funder string) Publisher {
	if p.Prefix == "" {
		p.Prefix = DemoPrefix
	}
	if p.FunderID == "" {
		p.FunderID = DemoFunderID
	}
	if p.FunderName == "" {
		p.FunderName = funder
	}
	if p.LicenceURL == "" {
		p.LicenceURL = OpenGovernmentLicence
	}
	return p
}

var (
	prefixPattern = regexp.MustCompile(`^360G-[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)
	orgIDPattern  = regexp.MustCompile(`^([A-Z]{2}-[A-Z0-9]+|XI-[A-Z0-9]+|XM-[A-Z0-9]+|360G-[A-Za-z0-9-]+)-[^\s]+$`)
)

// CheckPrefix explains what is wrong with a 360Giving prefix, or returns nil.
func CheckPrefix(p string) error {
	if !prefixPattern.MatchString(p) {
		return fmt.Errorf("must be a 360Giving publisher prefix such as 360G-opcc-example (360G- then letters, digits and single hyphens), not %q", p)
	}
	return nil
}

// CheckOrgID explains what is wrong with an organisation identifier, or returns nil.
func CheckOrgID(id string) error {
	if !orgIDPattern.MatchString(id) {
		return fmt.Errorf("must be an organisation identifier from org-id.guide such as GB-GOR-PC000123 (list prefix, hyphen, identifier), not %q", id)
	}
	return nil
}

// Check reports the first setting that cannot make valid 360Giving data.
func (p Publisher) Check() error {
	if err := CheckPrefix(p.Prefix); err != nil {
		return fmt.Errorf("360Giving prefix %w", err)
	}
	if err := CheckOrgID(p.FunderID); err != nil {
		return fmt.Errorf("funder's organisation id %w", err)
	}
	if strings.TrimSpace(p.FunderName) == "" {
		return fmt.Errorf("the funder's name is empty")
	}
	return nil
}

// GrantID is a grant's 360Giving identifier: 360G-opcc-example-GCF-2026-0007.
func (p Publisher) GrantID(reference string) string { return p.Prefix + "-" + idPart(reference) }

// RecipientID is a recipient organisation's identifier: from its charity number (GB-CHC-, or the
// Scottish and Northern Irish registers), else its company number (GB-COH-), else, for a group with
// neither, one of ours: 360G-opcc-example-ORG-42.
func (p Publisher) RecipientID(charityNumber, companyNumber string, organisationID int64) string {
	if id := RegisteredOrgID(charityNumber, companyNumber); id != "" {
		return id
	}
	return fmt.Sprintf("%s-ORG-%d", p.Prefix, organisationID)
}

// RegisteredOrgID is an organisation's org-id.guide identifier from its charity or company
// number, or "" when it has neither.
func RegisteredOrgID(charityNumber, companyNumber string) string {
	charity := strings.ToUpper(strings.Join(strings.Fields(charityNumber), ""))
	company := strings.ToUpper(strings.Join(strings.Fields(companyNumber), ""))
	switch {
	case strings.HasPrefix(charity, "SC"): // Office of the Scottish Charity Regulator
		return "GB-SC-" + charity
	case strings.HasPrefix(charity, "NIC"): // Charity Commission for Northern Ireland
		return "GB-NIC-" + strings.TrimPrefix(charity, "NIC")
	case charity != "":
		return "GB-CHC-" + charity
	case company != "":
		if len(company) < 8 && strings.Trim(company, "0123456789") == "" {
			company = strings.Repeat("0", 8-len(company)) + company // Companies House numbers have eight characters
		}
		return "GB-COH-" + company
	}
	return ""
}

// idPart keeps a reference usable inside an identifier: no spaces or slashes.
func idPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return '-'
		}
		return r
	}, s)
}

// Grant is one grant as the 360Giving schema spells it (the fields Grantflow publishes).
type Grant struct {
	ID                    string         `json:"id"`
	Title                 string         `json:"title"`
	Description           string         `json:"description"`
	Currency              string         `json:"currency"`
	AmountAwarded         json.Number    `json:"amountAwarded"`
	AmountDisbursed       json.Number    `json:"amountDisbursed"`
	AwardDate             string         `json:"awardDate"`
	PlannedDates          []Event        `json:"plannedDates,omitempty"`
	RecipientOrganization []Organization `json:"recipientOrganization"`
	FundingOrganization   []Organization `json:"fundingOrganization"`
	GrantProgramme        []Programme    `json:"grantProgramme,omitempty"`
	BeneficiaryLocation   []Location     `json:"beneficiaryLocation,omitempty"`
	DateModified          string         `json:"dateModified,omitempty"`
}

// Event is a span of planned dates.
type Event struct {
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

// Organization is a recipient or funder: identifier and name, and the registered numbers.
type Organization struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	CharityNumber string `json:"charityNumber,omitempty"`
	CompanyNumber string `json:"companyNumber,omitempty"`
}

// Programme is the scheme the grant was made under.
type Programme struct {
	Code  string `json:"code,omitempty"`
	Title string `json:"title,omitempty"`
}

// Location is an area or ward the grant's beneficiaries are in, with its ONS code where the
// scheme's rules give one.
type Location struct {
	Name        string `json:"name"`
	GeoCode     string `json:"geoCode,omitempty"`
	GeoCodeType string `json:"geoCodeType,omitempty"`
}

// Currency is what every amount is in.
const Currency = "GBP"

// Amount writes pence as a decimal number of pounds: 250000 → 2500.00.
func Amount(p money.Pence) json.Number {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, p/100, p%100))
}

func londonDate(t time.Time) string { return t.In(scheme.London).Format(time.DateOnly) }

// grantOf spells one register row in 360Giving. rules are the row's scheme's (zero when unknown):
// they give its programme code and its places' ONS codes.
func (p Publisher) grantOf(g store.RegisterGrant, rules scheme.Rules) Grant {
	out := Grant{
		ID:              p.GrantID(g.Reference),
		Title:           g.Title,
		Description:     g.Purpose,
		Currency:        Currency,
		AmountAwarded:   Amount(g.Amount),
		AmountDisbursed: Amount(g.Disbursed),
		AwardDate:       londonDate(g.AwardedAt),
		RecipientOrganization: []Organization{{
			ID:   p.RecipientID(g.CharityNumber, g.CompanyNumber, g.OrganisationID),
			Name: g.Recipient, CharityNumber: strings.TrimSpace(g.CharityNumber), CompanyNumber: strings.TrimSpace(g.CompanyNumber),
		}},
		FundingOrganization: []Organization{{ID: p.FunderID, Name: p.FunderName}},
		GrantProgramme:      []Programme{{Code: rules.Code, Title: g.SchemeName}},
	}
	if out.Title == "" {
		out.Title = g.Reference
	}
	if out.Description == "" { // the standard requires one
		out.Description = out.Title
	}
	if g.PlannedStart != nil || g.PlannedEnd != nil {
		var e Event
		if g.PlannedStart != nil {
			e.StartDate = g.PlannedStart.Format(time.DateOnly) // a date column: no zone to convert
		}
		if g.PlannedEnd != nil {
			e.EndDate = g.PlannedEnd.Format(time.DateOnly)
		}
		out.PlannedDates = []Event{e}
	}
	for _, a := range g.Areas {
		out.BeneficiaryLocation = append(out.BeneficiaryLocation, location(a, rules.AreaCode(a)))
	}
	for _, w := range g.Wards {
		out.BeneficiaryLocation = append(out.BeneficiaryLocation, location(w, rules.WardCode(w)))
	}
	if !g.LastModified.IsZero() {
		out.DateModified = g.LastModified.UTC().Format(time.RFC3339)
	}
	return out
}

func location(name, code string) Location {
	l := Location{Name: name}
	if t := GeoCodeType(code); t != "" {
		l.GeoCode, l.GeoCodeType = code, t
	}
	return l
}
