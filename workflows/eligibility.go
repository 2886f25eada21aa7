package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// Names of the eligibility checks, in the order CheckEligibility makes them.
const (
	CheckOrganisationType = "organisation_type"
	CheckArea             = "area"
	CheckAmount           = "amount"
	CheckDuration         = "duration"
	CheckPriorities       = "priorities"
	CheckRoundOpen        = "round_open"
)

// EligibilityInput is what the automatic eligibility screening looks at.
type EligibilityInput struct {
	OrganisationType string      // one of scheme.OrganisationTypes keys
	AreasServed      []string    // areas the project serves (names as in Rules.Areas, matched case-insensitively, trimmed)
	Priorities       []string    // Police and Crime Plan priorities addressed (names as in Rules.Priorities)
	Amount           money.Pence // amount requested (whole project for grassroots)
	ProjectStart     time.Time   // dates (midnight UTC)
	ProjectEnd       time.Time
	RoundOpens       time.Time
	RoundCloses      time.Time
	// BeforeDraftsLocked: submitted before the round's drafts were locked (the API refuses a locked
	// draft), so a submission in the grace period after closing is in time. False in histories from
	// before the grace period, which keep their screening.
	BeforeDraftsLocked bool
	SubmittedAt        time.Time
}

// EligibilityCheck is the outcome of one rule, with a reason a community group can read.
type EligibilityCheck struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// EligibilityResult holds every check, passed or not; Eligible when all passed.
type EligibilityResult struct {
	Eligible bool               `json:"eligible"`
	Checks   []EligibilityCheck `json:"checks"`
}

// Reasons returns the readable reasons of the failed checks, in order.
func (r EligibilityResult) Reasons() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, c.Reason)
		}
	}
	return out
}

// CheckEligibility screens an application against a scheme's rules. It is pure and deterministic, so it
// may run inside workflow code as well as in an HTTP handler. Every check is always reported, in the
// order organisation type, area, amount, duration, priorities, round open.
func CheckEligibility(rules scheme.Rules, in EligibilityInput) EligibilityResult {
	checks := []EligibilityCheck{
		checkOrganisationType(rules, in.OrganisationType),
		checkArea(rules, in.AreasServed),
		checkAmount(rules, in.Amount),
		checkDuration(rules, in.ProjectStart, in.ProjectEnd),
		checkPriorities(rules, in.Priorities),
		checkRoundOpen(in.RoundOpens, in.RoundCloses, in.SubmittedAt, in.BeforeDraftsLocked),
	}
	eligible := true
	for _, c := range checks {
		eligible = eligible && c.Passed
	}
	return EligibilityResult{Eligible: eligible, Checks: checks}
}

func checkOrganisationType(rules scheme.Rules, orgType string) EligibilityCheck {
	check := EligibilityCheck{Name: CheckOrganisationType}
	key := strings.ToLower(strings.TrimSpace(orgType))

	// Individuals and political parties are never eligible, whatever the rules say.
	var accepted []string
	for _, t := range rules.OrganisationTypes {
		if t != scheme.OrgIndividual && t != scheme.OrgPoliticalParty {
			accepted = append(accepted, orgTypeReadable(t))
		}
	}
	openTo := "This scheme is not open to any type of organisation at present."
	if len(accepted) > 0 {
		openTo = "This scheme is open to these types of organisation: " + readableList(accepted) + "."
	}

	switch {
	case key == scheme.OrgIndividual:
		check.Reason = "Grants from this scheme are not made to individuals. " + openTo
	case key == scheme.OrgPoliticalParty:
		check.Reason = "Grants from this scheme are not made to political parties. " + openTo
	case key == "":
		check.Reason = "The application does not say what type of organisation is applying. " + openTo
	case !slices.Contains(rules.OrganisationTypes, key):
		if _, known := scheme.OrganisationTypes[key]; known {
			check.Reason = fmt.Sprintf("%s cannot apply to this scheme. %s", orgTypeSubject(key), openTo)
		} else {
			check.Reason = fmt.Sprintf("%q is not a type of organisation this scheme recognises. %s", strings.TrimSpace(orgType), openTo)
		}
	default:
		check.Passed = true
		check.Reason = fmt.Sprintf("%s can apply to this scheme.", orgTypeSubject(key))
	}
	return check
}

func checkArea(rules scheme.Rules, served []string) EligibilityCheck {
	check := EligibilityCheck{Name: CheckArea}
	known, unknown := matchConfiguredNames(rules.Areas, served)
	covers := "This scheme covers " + readableList(rules.Areas) + "."
	outside := ""
	if len(unknown) > 0 {
		outside = readableList(unknown) + pluralise(len(unknown), " is", " are") + " outside this scheme's area."
	}
	switch {
	case len(known) > 0:
		check.Passed = true
		check.Reason = "The project serves " + readableList(known) + ", which this scheme covers."
		if outside != "" {
			check.Reason += " " + outside
		}
	case len(unknown) > 0:
		check.Reason = "The project must serve at least one of this scheme's areas, and " +
			readableList(unknown) + pluralise(len(unknown), " is not one of them. ", " are not among them. ") + covers
	default:
		check.Reason = "The application does not say which areas the project serves. " + covers
	}
	return check
}

func checkAmount(rules scheme.Rules, amount money.Pence) EligibilityCheck {
	check := EligibilityCheck{Name: CheckAmount}
	switch {
	case amount < rules.MinAmount:
		check.Reason = fmt.Sprintf("The amount requested, %s, is below this scheme's minimum of %s.", amount, rules.MinAmount)
	case amount > rules.MaxAmount:
		check.Reason = fmt.Sprintf("The amount requested, %s, is above this scheme's maximum of %s.", amount, rules.MaxAmount)
	default:
		check.Passed = true
		check.Reason = fmt.Sprintf("The amount requested, %s, is within this scheme's limits of %s to %s.", amount, rules.MinAmount, rules.MaxAmount)
	}
	return check
}

func checkDuration(rules scheme.Rules, start, end time.Time) EligibilityCheck {
	check := EligibilityCheck{Name: CheckDuration}
	maximum := fmt.Sprintf("%d %s", rules.MaxDurationMonths, pluralise(rules.MaxDurationMonths, "month", "months"))
	if start.IsZero() || end.IsZero() {
		check.Reason = "The application needs the project's start and end dates."
		return check
	}
	start, end = civilDate(start), civilDate(end)
	latest := addCalendarMonths(start, rules.MaxDurationMonths)
	switch {
	case !end.After(start):
		check.Reason = fmt.Sprintf("The project's end date, %s, must be after its start date, %s.", readableDate(end), readableDate(start))
	case end.After(latest):
		check.Reason = fmt.Sprintf("The project runs from %s to %s, longer than this scheme's maximum of %s; it must end by %s.",
			readableDate(start), readableDate(end), maximum, readableDate(latest))
	default:
		check.Passed = true
		check.Reason = fmt.Sprintf("The project runs from %s to %s, within this scheme's maximum of %s.",
			readableDate(start), readableDate(end), maximum)
	}
	return check
}

func checkPriorities(rules scheme.Rules, addressed []string) EligibilityCheck {
	check := EligibilityCheck{Name: CheckPriorities}
	known, unknown := matchConfiguredNames(rules.Priorities, addressed)
	list := "The priorities are " + readableList(rules.Priorities) + "."
	notOurs := ""
	if len(unknown) > 0 {
		notOurs = readableList(unknown) + pluralise(len(unknown), " is not one of this scheme's priorities.", " are not among this scheme's priorities.")
	}
	switch {
	case len(known) > 0:
		check.Passed = true
		check.Reason = "The project addresses " + readableList(known) +
			pluralise(len(known), ", a Police and Crime Plan priority.", ", which are Police and Crime Plan priorities.")
		if notOurs != "" {
			check.Reason += " " + notOurs
		}
	case len(unknown) > 0:
		check.Reason = "The project must address at least one Police and Crime Plan priority, and " + notOurs + " " + list
	default:
		check.Reason = "The application does not say which Police and Crime Plan priorities the project addresses. " + list
	}
	return check
}

func checkRoundOpen(opens, closes, submitted time.Time, beforeLock bool) EligibilityCheck {
	check := EligibilityCheck{Name: CheckRoundOpen}
	switch {
	case beforeLock && !opens.IsZero() && closes.After(opens) && !submitted.Before(closes):
		check.Passed = true
		check.Reason = fmt.Sprintf("The application was submitted after this funding round closed on %s, but within the time the scheme allows before drafts are locked.",
			readableDate(closes.In(scheme.London)))
	case opens.IsZero() || closes.IsZero() || !closes.After(opens):
		check.Reason = "This funding round has no opening and closing dates, so it is not open for applications."
	case submitted.Before(opens):
		check.Reason = fmt.Sprintf("The application was submitted before this funding round opened on %s.", readableDate(opens.In(scheme.London)))
	case !submitted.Before(closes):
		check.Reason = fmt.Sprintf("The application was submitted after this funding round closed on %s.", readableDate(closes.In(scheme.London)))
	default:
		check.Passed = true
		check.Reason = fmt.Sprintf("The application was submitted while this funding round was open, between %s and %s.",
			readableDate(opens.In(scheme.London)), readableDate(closes.In(scheme.London)))
	}
	return check
}

// matchConfiguredNames matches given names against the configured ones, ignoring case and surrounding or repeated
// spaces. It returns the configured spelling of the matches and the given spelling of the rest, each
// once, in the order given; blank names are ignored.
func matchConfiguredNames(configured, given []string) (known, unknown []string) {
	seen := map[string]bool{}
	for _, g := range given {
		name := strings.Join(strings.Fields(g), " ")
		norm := strings.ToLower(name)
		if name == "" || seen[norm] {
			continue
		}
		seen[norm] = true
		found := false
		for _, c := range configured {
			if strings.EqualFold(strings.Join(strings.Fields(c), " "), name) {
				known, found = append(known, c), true
				break
			}
		}
		if !found {
			unknown = append(unknown, name)
		}
	}
	return known, unknown
}

// civilDate is the calendar date of t in its own location, as midnight UTC.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addCalendarMonths adds calendar months to a date, keeping the day of the month or, where the month is
// shorter, using its last day: 31 August plus 6 months is 28 (or 29) February.
func addCalendarMonths(date time.Time, months int) time.Time {
	y, m, d := date.Date()
	firstOfTarget := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, date.Location())
	lastDay := firstOfTarget.AddDate(0, 1, -1).Day()
	return time.Date(firstOfTarget.Year(), firstOfTarget.Month(), min(d, lastDay), 0, 0, 0, 0, date.Location())
}

// readableDate writes a date as letters do: "2 May 2026".
func readableDate(t time.Time) string { return t.Format("2 January 2006") }

func orgTypeReadable(key string) string {
	if name, ok := scheme.OrganisationTypes[key]; ok {
		return name
	}
	return key
}

// orgTypeSubject names an organisation type as the subject of a sentence: "A registered charity".
func orgTypeSubject(key string) string {
	if key == scheme.OrgOther {
		return "An organisation of another type"
	}
	return upperFirst(aOrAn(orgTypeReadable(key)))
}

func aOrAn(noun string) string {
	if noun != "" && strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pluralise(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readableList writes "a", "a and b", or "a, b, and c". The comma before the last "and" keeps names that
// themselves contain "and" apart, so two such names are written "Oadby and Wigston, and Rutland".
func readableList(items []string) string {
	switch {
	case len(items) == 0:
		return ""
	case len(items) == 1:
		return items[0]
	case len(items) == 2 && !strings.Contains(items[0], " and ") && !strings.Contains(items[1], " and "):
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + ", and " + items[len(items)-1]
}
