package scheme

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"grantflow/money"
)

// FieldKind says how a rule is written: on the editor's form and in the words of a change.
type FieldKind string

const (
	FieldText              FieldKind = "text"               // a line of text
	FieldMoney             FieldKind = "money"              // an amount in pence, typed in pounds
	FieldNumber            FieldKind = "number"             // a whole number; blank is 0
	FieldKindChoice        FieldKind = "kind"               // grassroots or service
	FieldOrganisationTypes FieldKind = "organisation_types" // a choice of OrganisationTypes
	FieldLines             FieldKind = "lines"              // a list of texts, one a line
	FieldAreas             FieldKind = "areas"              // rows: area and its code (area_codes)
	FieldWards             FieldKind = "wards"              // rows: area, ward and its code (ward_codes)
	FieldCriteria          FieldKind = "criteria"           // rows: key, name, weight, minimum
	FieldBands             FieldKind = "delegation"         // rows: role, title, up to
)

// Field is one rule an office sets, for the editor, the API's field names and the differences
// between versions. Key is the rule's JSON name in Rules. A new rule in Rules needs one line in
// Fields (and, for a kind of list not yet here, its rows in the editor).
type Field struct {
	Key     string
	Label   string
	Hint    string
	Kind    FieldKind
	Section string
	Unit    string // "days", "months": how a number reads in a change
	Default string // what 0 means, where it means a default: "10 days"
}

// Sections of the editor, in order.
const (
	SectionScheme     = "The scheme"
	SectionWho        = "Who may apply and what for"
	SectionPlaces     = "Areas and wards"
	SectionAssessment = "Assessment"
	SectionDecisions  = "Decisions"
	SectionTimetable  = "Timetables"
)

// Fields are every rule of a scheme in the order the editor shows them.
var Fields = []Field{
	{Key: "kind", Label: "Kind of scheme", Kind: FieldKindChoice, Section: SectionScheme},
	{Key: "code", Label: "Reference prefix", Hint: "The letters that start each application's reference, such as GCF", Kind: FieldText, Section: SectionScheme},
	{Key: "cost_centre", Label: "Cost centre", Hint: "Where finance charges the awards, such as OPCC-GCF-4410", Kind: FieldText, Section: SectionScheme},
	{Key: "min_amount_pence", Label: "Minimum amount", Kind: FieldMoney, Section: SectionWho},
	{Key: "max_amount_pence", Label: "Maximum amount", Kind: FieldMoney, Section: SectionWho},
	{Key: "max_duration_months", Label: "Longest a project may run", Kind: FieldNumber, Unit: "months", Section: SectionWho},
	{Key: "organisation_types", Label: "Organisation types that may apply", Kind: FieldOrganisationTypes, Section: SectionWho},
	{Key: "priorities", Label: "Police and Crime Plan priorities", Hint: "One a line: a project must address at least one", Kind: FieldLines, Section: SectionWho},
	{Key: "areas", Label: "Areas", Hint: "The local authority districts a project must serve, with their ONS codes (such as E06000016 for Leicester)", Kind: FieldAreas, Section: SectionPlaces},
	{Key: "wards", Label: "Wards", Hint: "Wards an application may name (the grassroots form's ward question, a service's wards) and in which returns and end-of-grant reports count the people reached, each within one of the areas, with its ONS code (E05 and six digits) where it has one; an area not broken down can list one entry such as \"Blaby: all wards\". Leave empty not to ask", Kind: FieldWards, Section: SectionPlaces},
	{Key: "criteria", Label: "Assessment criteria", Hint: "Each scored 0 to 5; the weights add up to 100%. A score below a criterion's minimum makes the application not fundable", Kind: FieldCriteria, Section: SectionAssessment},
	{Key: "assessors_required", Label: "Assessors on a panel", Hint: "Service schemes", Kind: FieldNumber, Section: SectionAssessment, Default: "2"},
	{Key: "panel_reminder_days", Label: "Days before an assessor's deadline they are reminded", Kind: FieldNumber, Unit: "days", Section: SectionAssessment, Default: "3 days"},
	{Key: "delegation", Label: "Delegated authority", Hint: "Who may approve awards up to which whole-life total, rising; leave the last band's limit blank for no limit", Kind: FieldBands, Section: SectionDecisions},
	{Key: "escalation_days", Label: "Days a case officer may go without acting before the heads of commissioning are copied", Kind: FieldNumber, Unit: "days", Section: SectionDecisions, Default: "10 days"},
	{Key: "decision_record_prefix", Label: "Decision record prefix", Hint: "Service schemes: starts the numbers of the Commissioner's decision records, such as PCC", Kind: FieldText, Section: SectionDecisions, Default: "PCC"},
	{Key: "signatory", Label: "Signatory", Hint: "The name and title that sign letters", Kind: FieldText, Section: SectionDecisions},
	{Key: "draft_grace_hours", Label: "Hours after a round closes that its drafts may still be submitted", Hint: "Then the round's drafts are locked", Kind: FieldNumber, Unit: "hours", Section: SectionTimetable, Default: "0 hours: drafts lock as the round closes"},
	{Key: "acceptance_days", Label: "Days to accept an offer", Kind: FieldNumber, Unit: "days", Section: SectionTimetable},
	{Key: "acceptance_reminder_days", Label: "Days before the acceptance deadline the applicant is reminded", Kind: FieldNumber, Unit: "days", Section: SectionTimetable},
	{Key: "report_due_months", Label: "Months after the project ends that its report is due", Kind: FieldNumber, Unit: "months", Section: SectionTimetable},
	{Key: "report_reminder_days", Label: "Days before a report is due the group is reminded", Kind: FieldNumber, Unit: "days", Section: SectionTimetable},
	{Key: "report_resubmit_days", Label: "Days to revise a report sent back", Kind: FieldNumber, Unit: "days", Section: SectionTimetable, Default: "28 days"},
	{Key: "return_due_days", Label: "Days after each quarter a monitoring return is due", Hint: "Service schemes", Kind: FieldNumber, Unit: "days", Section: SectionTimetable, Default: "15 days"},
	{Key: "return_reminder_days", Label: "Days before a return is due the provider is reminded", Hint: "Service schemes", Kind: FieldNumber, Unit: "days", Section: SectionTimetable, Default: "7 days"},
	{Key: "repayment_days", Label: "Days to repay an underspend", Hint: "Service schemes: after the final report is accepted", Kind: FieldNumber, Unit: "days", Section: SectionTimetable, Default: "30 days"},
}

// FieldByKey finds a rule by its JSON name.
func FieldByKey(key string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Key == key })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}

// jsonIndex finds Rules' struct fields by their JSON names.
var jsonIndex = func() map[string]int {
	out := map[string]int{}
	t := reflect.TypeFor[Rules]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = i
	}
	return out
}()

func (f Field) value(r *Rules) reflect.Value {
	i, ok := jsonIndex[f.Key]
	if !ok {
		panic("scheme: no rule has the JSON name " + f.Key)
	}
	return reflect.ValueOf(r).Elem().Field(i)
}

// Scalar reports whether the rule is one value (text, money, number or kind) rather than a list.
func (f Field) Scalar() bool {
	switch f.Kind {
	case FieldText, FieldMoney, FieldNumber, FieldKindChoice:
		return true
	}
	return false
}

// Text is a scalar rule as a form shows it: "5000.00" for money, "" for a zero number.
func (f Field) Text(r Rules) string {
	v := f.value(&r)
	switch f.Kind {
	case FieldMoney:
		p := v.Int()
		if p == 0 {
			return ""
		}
		return fmt.Sprintf("%d.%02d", p/100, p%100)
	case FieldNumber:
		if v.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(v.Int(), 10)
	case FieldText, FieldKindChoice:
		return v.String()
	}
	return ""
}

// Set writes a scalar rule from a form's text; the error is the reason, for the field's message.
func (f Field) Set(r *Rules, text string) error {
	v := f.value(r)
	text = strings.TrimSpace(text)
	switch f.Kind {
	case FieldMoney:
		if text == "" {
			v.SetInt(0)
			return nil
		}
		p, err := money.Parse(text)
		if err != nil {
			return fmt.Errorf("must be an amount in pounds, like 5000 or 5000.00")
		}
		v.SetInt(int64(p))
	case FieldNumber:
		if text == "" {
			v.SetInt(0)
			return nil
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("must be a whole number, like 28")
		}
		v.SetInt(int64(n))
	case FieldText, FieldKindChoice:
		v.SetString(text)
	default:
		return fmt.Errorf("%s is a list, not one value", f.Key)
	}
	return nil
}

// Words is a scalar rule as a sentence names it: "£5,000.00", "28 days", "not set (10 days)".
func (f Field) Words(r Rules) string {
	v := f.value(&r)
	switch f.Kind {
	case FieldMoney:
		return money.Pence(v.Int()).String()
	case FieldNumber:
		n := v.Int()
		if n == 0 {
			if f.Default != "" {
				return "not set (" + f.Default + ")"
			}
			return "not set"
		}
		if f.Unit != "" {
			unit := f.Unit
			if n == 1 {
				unit = strings.TrimSuffix(unit, "s")
			}
			return fmt.Sprintf("%d %s", n, unit)
		}
		return strconv.FormatInt(n, 10)
	case FieldKindChoice:
		return KindTitle(Kind(v.String()))
	case FieldText:
		if v.String() == "" {
			if f.Default != "" {
				return "not set (" + f.Default + ")"
			}
			return "not set"
		}
		return v.String()
	}
	return ""
}

// KindTitle names a kind of scheme for people.
func KindTitle(k Kind) string {
	switch k {
	case Grassroots:
		return "Grassroots (small one-off grants, one assessor, officer decision)"
	case Service:
		return "Service (multi-year commissioned services, panel, tranches)"
	case "":
		return "not set"
	}
	return string(k)
}

// OrganisationTypeName is the readable name of an organisation type, or the type itself.
func OrganisationTypeName(t string) string {
	if n := OrganisationTypes[t]; n != "" {
		return n
	}
	return t
}

// DecidingRoles are the roles a delegation band may name.
var DecidingRoles = []Role{RoleOfficer, RoleHeadOfCommissioning, RoleCommissioner}
