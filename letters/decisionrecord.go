package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantflow/money"
)

// DecisionRecord is the numbered record of a decision above the officers' delegated limit, such as
// PCC/2026/017, published on the public decisions page and with the grants register. It carries
// what the Elected Local Policing Bodies (Specified Information) Order 2011 asks to be published
// about a crime and disorder reduction grant (the recipient, the amount, the purpose, the
// conditions and the reasons the grant will secure crime and disorder reduction), with the office
// that decided, under which delegation band and scheme rules, and any declarations of interest.
//
// It is public by construction: it has no field for a person. The decision maker appears by office
// ("Police and Crime Commissioner"), the recommender by role, and each declaration of interest by
// the role of whoever declared it and what they declared; the recipient is the organisation (an
// unincorporated group by its name only), with no contact or address. Text about the grant that
// holds an e-mail address is refused.
//
// Every field is required except the letterhead's contact details, RecipientID, Variation,
// RecommendedBy and Declarations (an empty list is printed as "None declared").
type DecisionRecord struct {
	Letterhead   Letterhead   `json:"-"`
	Number       string       `json:"number"`       // "PCC/2026/017"
	Title        string       `json:"title"`        // e.g. "Young people's A&E navigator service, 2026-27 to 2028-29"
	Office       string       `json:"office"`       // the office that decided, e.g. "Police and Crime Commissioner"; never a name
	Date         time.Time    `json:"date"`         // of the decision
	Recipient    string       `json:"recipient"`    // the organisation's name
	RecipientID  string       `json:"recipient_id"` // e.g. "GB-CHC-1234567" (org-id.guide), printed under the name
	Scheme       string       `json:"scheme"`       // its name
	Reference    string       `json:"reference"`    // the award's reference
	Variation    string       `json:"variation"`    // what a variation of the award changes; "" for the award itself
	Years        []YearAmount `json:"years"`        // the amount in each financial year (after a variation: as varied)
	Total        money.Pence  `json:"total_pence"`  // the whole-life total, the sum of Years
	Purpose      string       `json:"purpose"`
	Conditions   []string     `json:"conditions"`
	Reasons      []string     `json:"reasons"`       // why the grant will secure, or contribute to securing, crime and disorder reduction
	Band         string       `json:"band"`          // the delegation band that authorised it, e.g. "Police and Crime Commissioner"
	RulesVersion int          `json:"rules_version"` // the version of the scheme's rules the decision was taken under
	// RecommendedBy is the recommender's role, e.g. "Commissioning Officer, moderating the assessment
	// panel"; never a name. The person who recommends an award never approves it.
	RecommendedBy string        `json:"recommended_by"`
	Declarations  []Declaration `json:"declarations"` // declarations of interest by anyone involved in the decision
}

// Declaration is one declaration of interest as it is published: who declared it by role, and what
// they declared. Whoever declares an interest takes no part in the decision.
//
// What the person wrote about their interest stays inside the office: in their own words it often
// names someone ("my partner chairs the group"), so the public record says only who, by role,
// declared one and that they took no part.
type Declaration struct {
	Role string `json:"role"` // e.g. "An assessor", "A panel member"; never a name
}

// Text is the declaration as the record prints it: "An assessor declared an interest and took no part."
func (d Declaration) Text() string {
	return strings.TrimSpace(d.Role) + " declared an interest and took no part."
}

// Decision is what was decided, in one sentence: "The Police and Crime Commissioner has decided to
// award Safe Harbour Youth Trust a grant of £360,000.00 ...". The public page prints the same.
func (r DecisionRecord) Decision() string {
	years := countWords(len(r.Years), "financial year", "financial years")
	if strings.TrimSpace(r.Variation) != "" {
		return fmt.Sprintf("The %s has decided to vary the grant to %s from the %s (%s) so that it is %s over %s (%s): %s",
			r.Office, r.Recipient, r.Scheme, r.Reference, r.Total, years, yearSpan(r.Years), strings.TrimSpace(r.Variation))
	}
	return fmt.Sprintf("The %s has decided to award %s a grant of %s from the %s over %s (%s), for the "+
		"purpose and on the conditions set out below.", r.Office, r.Recipient, r.Total, r.Scheme, years, yearSpan(r.Years))
}

func (r DecisionRecord) validate() error {
	c := newCheck("decision record")
	c.letterhead("Letterhead", r.Letterhead)
	c.text("Number", r.Number)
	c.text("Title", r.Title)
	c.public("Title", r.Title)
	c.text("Office", r.Office)
	c.public("Office", r.Office)
	c.date("Date", r.Date)
	c.text("Recipient", r.Recipient)
	c.public("Recipient", r.Recipient)
	c.text("Scheme", r.Scheme)
	c.text("Reference", r.Reference)
	c.public("Variation", r.Variation)
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
	c.public("RecommendedBy", r.RecommendedBy)
	for i, d := range r.Declarations {
		f := fmt.Sprintf("Declarations[%d]", i)
		if strings.TrimSpace(d.Role) == "" {
			c.fail(f+".Role", "is empty: say who declared the interest, by role")
		}
		c.public(f+".Role", d.Role)
	}
	return c.result()
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
		{"Decision maker", r.Office},
		{"Date of decision", longDate(r.Date)},
		{"Recipient", recipient},
		{"Scheme", r.Scheme},
		{"Award reference", r.Reference},
		{"Whole-life total", fmt.Sprintf("%s over %s (%s)", r.Total, years, yearSpan(r.Years))},
	})

	w.subheading("Decision")
	w.paragraph(r.Decision())

	w.section("Amount per financial year", "", []tablePart{yearsPart(r.Years, "Whole-life total")}, false)

	w.subheading("Purpose of the grant")
	w.paragraph(r.Purpose)

	w.subheading("Conditions attached to the grant")
	w.list(r.Conditions, true)

	w.subheading("Why the grant will secure crime and disorder reduction")
	w.paragraph(fmt.Sprintf("The %s considers that the grant will secure, or contribute to securing, crime and "+
		"disorder reduction, for these reasons:", r.Office))
	w.list(r.Reasons, false)

	w.subheading("Authority for the decision")
	authority := []field{
		{"Decided by", r.Office},
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
		list := make([]string, len(r.Declarations))
		for i, d := range r.Declarations {
			list[i] = d.Text()
		}
		w.list(list, false)
	}

	w.subheading("Publication")
	w.paragraph("This record is published under the Elected Local Policing Bodies (Specified Information) " +
		"Order 2011 (as amended), which requires the recipient, amount, purpose and conditions of each crime " +
		"and disorder reduction grant, and the reasons for making it, to be published. It names the office " +
		"that decided, not the people involved; the signed original is kept by the " + r.Letterhead.Body + ".")
	return w.bytes()
}
