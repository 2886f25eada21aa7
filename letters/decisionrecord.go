package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantflow/money"
)

// DecisionRecord is the numbered record of a decision above the officers' delegated limit, such as
// PCC/2026/017, published with the grants register. It carries what the Elected Local Policing
// Bodies (Specified Information) Order 2011 asks to be published about a crime and disorder
// reduction grant (the recipient, the amount, the purpose, the conditions and the reasons the grant
// will secure crime and disorder reduction), with who decided, under which delegation band and
// scheme rules, and any declarations of interest.
//
// It is public, so it names the recipient organisation only: it has no field for a contact or an
// address, and it refuses an e-mail address in the text about the grant.
//
// Every field is required except the letterhead's contact details, RecipientID, RecommendedBy and
// Declarations (an empty list is printed as "None declared").
type DecisionRecord struct {
	Letterhead        Letterhead
	Number            string // "PCC/2026/017"
	Title             string // e.g. "Young people's A&E navigator service, 2026-27 to 2028-29"
	DecisionMaker     string // the person's name, e.g. "D. Example"
	DecisionMakerRole string // e.g. "Police and Crime Commissioner"
	Date              time.Time
	Recipient         string // the organisation's name
	RecipientID       string // e.g. "GB-CHC-1234567" (org-id.guide), printed under the name
	Scheme            string
	Reference         string       // the award's reference
	Years             []YearAmount // the amount in each financial year
	Total             money.Pence  // the whole-life total, the sum of Years
	Purpose           string
	Conditions        []string
	Reasons           []string // why the grant will secure, or contribute to securing, crime and disorder reduction
	Band              string   // the delegation band that authorised it, e.g. "Police and Crime Commissioner: awards over £100,000.00"
	RulesVersion      int      // the version of the scheme's rules the decision was taken under
	RecommendedBy     string   // e.g. "B. Sample, Head of Commissioning"; never the decision maker
	Declarations      []string // declarations of interest by anyone involved in the decision
}

func (r DecisionRecord) validate() error {
	c := newCheck("decision record")
	c.letterhead("Letterhead", r.Letterhead)
	c.text("Number", r.Number)
	c.text("Title", r.Title)
	c.public("Title", r.Title)
	c.text("DecisionMaker", r.DecisionMaker)
	c.text("DecisionMakerRole", r.DecisionMakerRole)
	c.date("Date", r.Date)
	c.text("Recipient", r.Recipient)
	c.public("Recipient", r.Recipient)
	c.text("Scheme", r.Scheme)
	c.text("Reference", r.Reference)
	c.positive("Total", r.Total)
	c.years("Years", r.Years, r.Total)
	c.text("Purpose", r.Purpose)
	c.public("Purpose", r.Purpose)
	c.items("Conditions", r.Conditions)
	for i, s := range r.Conditions {
		c.public(fmt.Sprintf("Conditions[%d]", i), s)
	}
	c.items("Reasons", r.Reasons)
	for i, s := range r.Reasons {
		c.public(fmt.Sprintf("Reasons[%d]", i), s)
	}
	c.text("Band", r.Band)
	if r.RulesVersion < 1 {
		c.fail("RulesVersion", "must be 1 or more")
	}
	if rec := personName(r.RecommendedBy); rec != "" && strings.EqualFold(rec, personName(r.DecisionMaker)) {
		c.fail("RecommendedBy", "is the DecisionMaker: the person who recommends an award never approves it")
	}
	for i, s := range r.Declarations {
		f := fmt.Sprintf("Declarations[%d]", i)
		if strings.TrimSpace(s) == "" {
			c.fail(f, "is empty")
		}
		c.public(f, s)
	}
	return c.result()
}

// personName is the name part of "B. Sample, Head of Commissioning".
func personName(s string) string {
	name, _, _ := strings.Cut(s, ",")
	return strings.Join(strings.Fields(name), " ")
}

// PDF writes the decision record, or returns a *ValidationError.
func (r DecisionRecord) PDF() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Decision record " + r.Number + ": " + r.Title,
		subject: r.Scheme + ": grant to " + r.Recipient,
		author:  r.Letterhead.Body,
		date:    r.Date,
		footer:  "Decision record " + r.Number,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(r.Letterhead)
	w.heading("Decision record " + r.Number)
	w.strong(r.Title)

	recipient := r.Recipient
	if id := strings.TrimSpace(r.RecipientID); id != "" {
		recipient += "\n" + id
	}
	years := countWords(len(r.Years), "financial year", "financial years")
	w.details([]field{
		{"Decision number", r.Number},
		{"Decision maker", r.DecisionMaker + ", " + r.DecisionMakerRole},
		{"Date of decision", longDate(r.Date)},
		{"Recipient", recipient},
		{"Scheme", r.Scheme},
		{"Award reference", r.Reference},
		{"Whole-life total", fmt.Sprintf("%s over %s (%s)", r.Total, years, yearSpan(r.Years))},
	})

	w.subheading("Decision")
	w.paragraph(fmt.Sprintf("The %s has decided to award %s a grant of %s from the %s over %s (%s), for the "+
		"purpose and on the conditions set out below.", r.DecisionMakerRole, r.Recipient, r.Total, r.Scheme, years, yearSpan(r.Years)))

	w.section("Amount per financial year", "", []tablePart{yearsPart(r.Years, "Whole-life total")}, false)

	w.subheading("Purpose of the grant")
	w.paragraph(r.Purpose)

	w.subheading("Conditions attached to the grant")
	w.list(r.Conditions, true)

	w.subheading("Why the grant will secure crime and disorder reduction")
	w.paragraph(fmt.Sprintf("The %s considers that the grant will secure, or contribute to securing, crime and "+
		"disorder reduction, for these reasons:", r.DecisionMakerRole))
	w.list(r.Reasons, false)

	w.subheading("Authority for the decision")
	authority := []field{
		{"Delegation band", r.Band},
		{"Scheme rules", "Version " + strconv.Itoa(r.RulesVersion)},
	}
	if rec := strings.TrimSpace(r.RecommendedBy); rec != "" {
		authority = append(authority, field{"Recommended by", rec})
	}
	w.details(authority)

	w.subheading("Declarations of interest")
	if len(r.Declarations) == 0 {
		w.paragraph("None declared.")
	} else {
		w.list(r.Declarations, false)
	}

	w.subheading("Publication")
	w.paragraph("This record is published under the Elected Local Policing Bodies (Specified Information) " +
		"Order 2011 (as amended), which requires the recipient, amount, purpose and conditions of each crime " +
		"and disorder reduction grant, and the reasons for making it, to be published.")

	w.subheading("Signed by the decision maker")
	w.paragraph("I approve the decision set out in this record.")
	w.signatureBlock(r.DecisionMaker, r.DecisionMakerRole)
	return w.bytes()
}
