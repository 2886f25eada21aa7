package letters

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DecisionPack is what a panel moderates an application for a commissioned service from: the
// application in brief, every assessor's scores against the weighted criteria with the panel mean,
// the criteria scored below their minimum, and the panel's recommendation. It is an internal
// document, not for the applicant nor for anyone who has declared a conflict of interest.
//
// Every field is required except the letterhead's contact details and the recommendation's
// Conditions; Recommendation.Years is required when the panel recommends approval, and must be
// empty when it recommends declining.
type DecisionPack struct {
	Letterhead     Letterhead
	Date           time.Time // when the panel moderated
	Reference      string    // the application's reference
	Organisation   string
	Scheme         string
	Service        string
	Requested      []YearAmount // the amount requested in each financial year
	Criteria       []CriterionRow
	Scores         []PanelScore // one for each assessor, in the order their columns appear
	Recommendation PanelRecommendation
	ModeratedBy    []string // "C. Sample, Commissioning Officer (chair)"
}

// CriterionRow is one weighted assessment criterion, scored 0 to 5. The weights of a pack's
// criteria add up to 100; a score below Minimum makes the application not fundable (0 = none).
type CriterionRow struct {
	Key, Name       string
	Weight, Minimum int
}

// PanelScore is one assessor's scores, by CriterionRow.Key, and their weighted total out of 100:
// the sum over the criteria of score / 5 * weight. The pack checks the total against the scores,
// and reads the map only by the keys of its criteria, in their order.
type PanelScore struct {
	Assessor string
	Scores   map[string]int
	Weighted float64
}

// PanelRecommendation is what the panel recommends to the decision maker.
type PanelRecommendation struct {
	Approve    bool
	Years      []YearAmount // the amount recommended in each financial year, when Approve
	Conditions []string     // conditions the panel recommends attaching, if any
	Reasons    []string
}

// maxScore is the highest score for a criterion; the lowest is 0.
const maxScore = 5

func (d DecisionPack) validate() error {
	c := newCheck("decision pack")
	c.letterhead("Letterhead", d.Letterhead)
	c.date("Date", d.Date)
	c.text("Reference", d.Reference)
	c.text("Organisation", d.Organisation)
	c.text("Scheme", d.Scheme)
	c.text("Service", d.Service)
	c.years("Requested", d.Requested, 0)
	d.checkCriteria(c)
	d.checkScores(c)
	r := d.Recommendation
	if r.Approve {
		c.years("Recommendation.Years", r.Years, 0)
	} else if len(r.Years) > 0 {
		c.fail("Recommendation.Years", "must be empty when the panel recommends declining")
	}
	for i, cond := range r.Conditions {
		if strings.TrimSpace(cond) == "" {
			c.fail(fmt.Sprintf("Recommendation.Conditions[%d]", i), "is empty")
		}
	}
	c.items("Recommendation.Reasons", r.Reasons)
	c.items("ModeratedBy", d.ModeratedBy)
	return c.result()
}

func (d DecisionPack) checkCriteria(c *check) {
	if len(d.Criteria) == 0 {
		c.fail("Criteria", "needs at least one criterion")
		return
	}
	seen := make(map[string]bool, len(d.Criteria))
	total := 0
	for i, cr := range d.Criteria {
		f := fmt.Sprintf("Criteria[%d]", i)
		key := strings.TrimSpace(cr.Key)
		switch {
		case key == "":
			c.fail(f+".Key", "is required")
		case seen[key]:
			c.fail(f+".Key", fmt.Sprintf("repeats the criterion %q", key))
		}
		seen[key] = true
		c.text(f+".Name", cr.Name)
		if cr.Weight <= 0 {
			c.fail(f+".Weight", "must be more than 0")
		}
		if cr.Minimum < 0 || cr.Minimum > maxScore {
			c.fail(f+".Minimum", fmt.Sprintf("must be 0 to %d", maxScore))
		}
		total += cr.Weight
	}
	if total != 100 {
		c.fail("Criteria", fmt.Sprintf("weights add up to %d, not 100", total))
	}
}

func (d DecisionPack) checkScores(c *check) {
	if len(d.Scores) == 0 {
		c.fail("Scores", "needs at least one assessor's scores")
		return
	}
	known := make(map[string]bool, len(d.Criteria))
	for _, cr := range d.Criteria {
		known[cr.Key] = true
	}
	seen := make(map[string]bool, len(d.Scores))
	for i, s := range d.Scores {
		f := fmt.Sprintf("Scores[%d]", i)
		name := strings.TrimSpace(s.Assessor)
		switch {
		case name == "":
			c.fail(f+".Assessor", "is required")
		case seen[name]:
			c.fail(f+".Assessor", fmt.Sprintf("repeats %s: one column for each assessor", name))
		}
		seen[name] = true
		complete := true
		for _, cr := range d.Criteria {
			v, ok := s.Scores[cr.Key]
			switch {
			case !ok:
				complete = false
				c.fail(fmt.Sprintf("%s.Scores[%q]", f, cr.Key), "is missing")
			case v < 0 || v > maxScore:
				complete = false
				c.fail(fmt.Sprintf("%s.Scores[%q]", f, cr.Key), fmt.Sprintf("is %d, not 0 to %d", v, maxScore))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(s.Scores)) {
			if !known[k] {
				c.fail(fmt.Sprintf("%s.Scores[%q]", f, k), "is not one of the Criteria")
			}
		}
		if complete {
			if want := weightedHundredths(d.Criteria, s); math.Round(s.Weighted*100) != float64(want) {
				c.fail(f+".Weighted", fmt.Sprintf("is %s, but the scores come to %s", twoPlaces(s.Weighted), hundredths(want)))
			}
		}
	}
}

// weightedHundredths is an assessor's weighted total in hundredths of a point: each score / 5 *
// weight is a whole number of hundredths (score * weight * 20), so no rounding creeps in.
func weightedHundredths(criteria []CriterionRow, s PanelScore) int {
	points := 0
	for _, cr := range criteria {
		points += s.Scores[cr.Key] * cr.Weight
	}
	return points * (100 / maxScore)
}

func twoPlaces(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// hundredths writes 6550 as "65.50".
func hundredths(h int) string { return fmt.Sprintf("%d.%02d", h/100, h%100) }

// meanOf writes the mean of whole numbers to two places ("3.50"), exactly rounded.
func meanOf(values []int) string {
	sum := 0
	for _, v := range values {
		sum += v
	}
	n := len(values)
	return hundredths((sum*100*2 + n) / (2 * n)) // sum/n in hundredths, halves rounded up
}

// shortfalls lists the criteria that any assessor scored below the minimum: "Not fundable:
// Deliverability and governance is below its minimum of 2: scored 1 by R. Assessor (panel mean
// 2.50)."
func (d DecisionPack) shortfalls() []string {
	var out []string
	for _, cr := range d.Criteria {
		var below []string
		all := make([]int, len(d.Scores))
		for i, s := range d.Scores {
			all[i] = s.Scores[cr.Key]
			if v := s.Scores[cr.Key]; v < cr.Minimum {
				below = append(below, fmt.Sprintf("%d by %s", v, s.Assessor))
			}
		}
		if len(below) > 0 {
			out = append(out, fmt.Sprintf("Not fundable: %s is below its minimum of %d: scored %s (panel mean %s).",
				cr.Name, cr.Minimum, joinAnd(below), meanOf(all)))
		}
	}
	return out
}

// joinAnd writes "a", "a and b" or "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// assessorsPerTable keeps the score columns wide enough for a name.
const assessorsPerTable = 4

// scoreTables lays out the scores: a row for each criterion (its weight, minimum, each assessor's
// score and the panel mean) and a row of weighted totals, with at most four assessors to a table.
func (d DecisionPack) scoreTables(w *writer) []tablePart {
	var parts []tablePart
	for start := 0; start < len(d.Scores); start += assessorsPerTable {
		group := d.Scores[start:min(start+assessorsPerTable, len(d.Scores))]
		// The score columns share what the criterion names leave, up to 26 mm each; the names
		// take the rest, so that the table spans the page however many assessors it holds.
		const minNameW, weightW, minW, meanW = 52.0, 16.0, 12.0, 19.0
		scoreW := min(26, (contentWidth-minNameW-weightW-minW-meanW)/float64(len(group)))
		nameW := contentWidth - weightW - minW - meanW - scoreW*float64(len(group))
		cols := []column{
			{title: "Criterion", width: nameW, align: "L"},
			{title: "Weight", width: weightW, align: "R"},
			{title: "Min.", width: minW, align: "R"},
		}
		for _, s := range group {
			cols = append(cols, column{title: s.Assessor, width: scoreW, align: "R"})
		}
		cols = append(cols, column{title: "Panel mean", width: meanW, align: "R"})

		rows := make([][]string, len(d.Criteria))
		for i, cr := range d.Criteria {
			minimum := "–"
			if cr.Minimum > 0 {
				minimum = strconv.Itoa(cr.Minimum)
			}
			row := []string{cr.Name, strconv.Itoa(cr.Weight) + "%", minimum}
			for _, s := range group {
				v := s.Scores[cr.Key]
				cell := strconv.Itoa(v)
				if v < cr.Minimum {
					cell += "*"
				}
				row = append(row, cell)
			}
			all := make([]int, len(d.Scores))
			for j, s := range d.Scores {
				all[j] = s.Scores[cr.Key]
			}
			rows[i] = append(row, meanOf(all))
		}
		total := []string{"Weighted total (out of 100)", "100%", ""}
		for _, s := range group {
			total = append(total, hundredths(weightedHundredths(d.Criteria, s)))
		}
		sum := 0
		for _, s := range d.Scores {
			sum += weightedHundredths(d.Criteria, s)
		}
		n := len(d.Scores)
		total = append(total, hundredths((sum*2+n)/(2*n)))

		title := ""
		if len(d.Scores) > assessorsPerTable {
			title = fmt.Sprintf("Assessors %d to %d of %d", start+1, start+len(group), len(d.Scores))
		}
		parts = append(parts, tablePart{title: title, cols: cols, rows: rows, total: total})
	}
	return parts
}

// recommendationPart sets the amounts recommended beside those requested, year by year.
func (d DecisionPack) recommendationPart() tablePart {
	labels := make([]string, 0, len(d.Requested)+len(d.Recommendation.Years))
	requested := map[string]string{}
	recommended := map[string]string{}
	for _, y := range d.Requested {
		labels = append(labels, y.Label)
		requested[y.Label] = y.Amount.String()
	}
	for _, y := range d.Recommendation.Years {
		if _, ok := requested[y.Label]; !ok {
			labels = append(labels, y.Label)
		}
		recommended[y.Label] = y.Amount.String()
	}
	rows := make([][]string, len(labels))
	for i, l := range labels {
		req, rec := requested[l], recommended[l]
		if req == "" {
			req = "–"
		}
		if rec == "" {
			rec = "–"
		}
		rows[i] = []string{l, req, rec}
	}
	return tablePart{
		cols: []column{
			{title: "Financial year", width: 45, align: "L"},
			{title: "Requested", width: 40, align: "R"},
			{title: "Recommended", width: 40, align: "R"},
		},
		rows:  rows,
		total: []string{"Total", sumYears(d.Requested).String(), sumYears(d.Recommendation.Years).String()},
	}
}

// PDF writes the decision pack, or returns a *ValidationError.
func (d DecisionPack) PDF() ([]byte, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Panel decision pack " + d.Reference,
		subject: d.Scheme + ": " + d.Service + " from " + d.Organisation,
		author:  d.Letterhead.Body,
		date:    d.Date,
		footer:  "Decision pack: application " + d.Reference,
	})
	if err != nil {
		return nil, err
	}
	flags := d.shortfalls()
	minimums := "Met by every assessor"
	if len(flags) > 0 {
		minimums = "Not met: see \"Criteria below their minimum\""
	}
	w.letterhead(d.Letterhead)
	w.heading("Panel decision pack: " + d.Service)
	w.strong("For the moderation panel and the decision maker only. Not to be shared with the applicant " +
		"or with anyone who has declared a conflict of interest in this application.")
	w.details([]field{
		{"Application", d.Reference},
		{"Organisation", d.Organisation},
		{"Scheme", d.Scheme},
		{"Service", d.Service},
		{"Amount requested", fmt.Sprintf("%s over %s (%s)", sumYears(d.Requested),
			countWords(len(d.Requested), "financial year", "financial years"), yearSpan(d.Requested))},
		{"Minimum scores", minimums},
		{"Moderated", longDate(d.Date)},
	})

	w.section("Amount requested per financial year", "", []tablePart{yearsPart(d.Requested, "Total requested")}, false)

	intro := fmt.Sprintf("Each assessor scored each criterion from 0 to %d. An assessor's weighted total is "+
		"out of 100: each score divided by %d and multiplied by the criterion's weight, added up.", maxScore, maxScore)
	if len(flags) > 0 {
		intro += " An asterisk (*) marks a score below the criterion's minimum."
	}
	w.section("Scores", intro, d.scoreTables(w), true)

	w.subheading("Criteria below their minimum")
	if len(flags) > 0 {
		for _, f := range flags {
			w.strong(f)
		}
	} else {
		w.paragraph("No assessor scored any criterion below its minimum.")
	}

	r := d.Recommendation
	if r.Approve {
		w.section("Panel recommendation", "The panel recommends that the application be approved, with "+
			"the amounts below.", []tablePart{d.recommendationPart()}, false)
		w.minorHeading("Recommended conditions")
		if len(r.Conditions) > 0 {
			w.list(r.Conditions, true)
		} else {
			w.paragraph("The panel recommends no conditions.")
		}
	} else {
		w.subheading("Panel recommendation")
		w.strong("The panel recommends that the application be declined.")
		if len(r.Conditions) > 0 {
			w.minorHeading("Conditions the panel would attach if it were approved")
			w.list(r.Conditions, true)
		}
	}
	w.minorHeading("Reasons")
	w.list(r.Reasons, false)

	w.subheading("Moderated by")
	w.list(d.ModeratedBy, false)
	return w.bytes()
}
