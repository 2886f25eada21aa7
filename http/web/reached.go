package web

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"grantflow/http/apiv1"
	"grantflow/scheme"
	"grantflow/workflows"
)

// Who a grant reached, asked on the provider's monitoring return and the group's end-of-grant
// report as a fixed table without script: a fieldset for each place (each of the application's
// areas, or where the scheme lists wards in an area, the wards of it the application named, else
// every ward listed there), with a box for each age band. A blank box is none.

// reachedTable is what the template "reached" draws: the page (for its form's values and errors)
// and the places' fieldsets.
type reachedTable struct {
	Page   page
	Places []beneficiaryArea
}

// reachPlace is one row of the table: an area, and a ward the scheme lists in it ("" for none).
type reachPlace struct{ Area, Ward string }

// label names the place for people: the ward as the scheme lists it ("Leicester: Abbey"), or the area.
func (p reachPlace) label() string {
	if p.Ward != "" {
		return p.Ward
	}
	return p.Area
}

// placesReached lays out the rows for an application's areas and named wards under the rules.
func placesReached(rules scheme.Rules, areas, named []string) []reachPlace {
	var out []reachPlace
	for _, area := range areas {
		listed := workflows.WardsIn(rules, area)
		var wards []string
		for _, w := range listed {
			if slices.Contains(named, w) {
				wards = append(wards, w)
			}
		}
		if len(wards) == 0 {
			wards = listed
		}
		if len(wards) == 0 {
			out = append(out, reachPlace{Area: area})
		}
		for _, w := range wards {
			out = append(out, reachPlace{Area: area, Ward: w})
		}
	}
	return out
}

// placesOf are the rows for an application: its areas and wards under the rules it was submitted
// under (those its workflow checks the rows against), or the scheme's for one from before
// submitted rules were kept.
func (s *Server) placesOf(ctx context.Context, d apiv1.ApplicationDetail) ([]reachPlace, error) {
	app, err := s.opts.Store.Application(ctx, d.ID)
	if err != nil {
		return nil, fmt.Errorf("application %d: %w", d.ID, err)
	}
	rules, ok, err := app.SubmittedRules()
	if err != nil {
		return nil, fmt.Errorf("application %d: submitted rules: %w", d.ID, err)
	}
	if !ok {
		sc, err := s.opts.Store.Scheme(ctx, d.SchemeID)
		if err != nil {
			return nil, fmt.Errorf("application %d: scheme %d: %w", d.ID, d.SchemeID, err)
		}
		rules = sc.Rules
	}
	return placesReached(rules, d.Areas, d.Wards), nil
}

// reachedField is the box for a place (its index) and age band: "report.reached.2.18_24".
func reachedField(prefix string, place int, band string) string {
	return fmt.Sprintf("%s.%d.%s", prefix, place, band)
}

// reachedFieldsets are the table's fieldsets, their boxes named under prefix.
func reachedFieldsets(prefix string, places []reachPlace) []beneficiaryArea {
	var out []beneficiaryArea
	for i, p := range places {
		a := beneficiaryArea{Area: p.label(), ID: htmlID(fmt.Sprintf("%s.%d", prefix, i))}
		for _, b := range workflows.AgeBands {
			a.Fields = append(a.Fields, returnIndicator{Name: reachedField(prefix, i, b), Label: ageBandLabels[b]})
		}
		out = append(out, a)
	}
	return out
}

// readReached reads the table: a row for each box with people in it, and the box behind each row
// sent (so the API's "beneficiaries[1]" goes on its box). given reports whether any box was filled
// in at all, 0 included.
func readReached(f *form, prefix string, places []reachPlace) (rows []workflows.BeneficiaryCount, rowField []string, given bool) {
	for i, p := range places {
		for _, b := range workflows.AgeBands {
			name := reachedField(prefix, i, b)
			given = given || f.Value(name) != ""
			what := fmt.Sprintf("the number of people aged %s in %s", strings.ToLower(ageBandLabels[b]), p.label())
			if n := wholeNumber(f, name, what, true); n > 0 {
				rows = append(rows, workflows.BeneficiaryCount{Area: p.Area, Ward: p.Ward, AgeBand: b, Count: int(n)})
				rowField = append(rowField, name)
			}
		}
	}
	return rows, rowField, given
}

// reachedView is a table of people reached by place (rows) and age band (columns), with totals:
// how staff and the group read a report's or a return's rows.
type reachedView struct {
	Caption string
	Bands   []string // the age bands' labels, in order
	Rows    []reachedRow
	Total   reachedRow
}

type reachedRow struct {
	Place  string
	Counts []int // by age band, in the order of Bands
	Total  int
}

// reachedViewOf lays out rows of people reached, each place once in the order first given (the
// ward as listed, or the area); nil when there are none (as in reports from before they were asked).
func reachedViewOf(caption string, rows []workflows.BeneficiaryCount) *reachedView {
	if len(rows) == 0 {
		return nil
	}
	v := &reachedView{Caption: caption, Total: reachedRow{Place: "Total", Counts: make([]int, len(workflows.AgeBands))}}
	for _, b := range workflows.AgeBands {
		v.Bands = append(v.Bands, ageBandLabels[b])
	}
	at := map[string]int{}
	for _, r := range rows {
		place := reachPlace{Area: r.Area, Ward: r.Ward}.label()
		i, seen := at[place]
		if !seen {
			i = len(v.Rows)
			at[place] = i
			v.Rows = append(v.Rows, reachedRow{Place: place, Counts: make([]int, len(workflows.AgeBands))})
		}
		band := slices.Index(workflows.AgeBands, r.AgeBand)
		if band < 0 {
			continue // the workflow refuses any other band
		}
		v.Rows[i].Counts[band] += r.Count
		v.Rows[i].Total += r.Count
		v.Total.Counts[band] += r.Count
		v.Total.Total += r.Count
	}
	return v
}
