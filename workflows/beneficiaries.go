package workflows

import (
	"fmt"
	"slices"
	"strings"

	"grantflow/scheme"
)

// Who a grant reached: the rows of a quarterly monitoring return and of an end-of-grant report, by
// area, ward and age band. Where the scheme lists wards in an area (scheme.Rules.Wards, written
// "Area: Ward"), a row in that area must name one of them, as listed: the Panel asks for evidence
// place by place, and a commissioner who lists wards wants every count placed in one. An "all
// wards" entry ("Blaby: all wards") is a ward like any other, for an area the scheme does not
// break down. Where the scheme lists no wards in the area, a row names none.

// checkBeneficiaries checks rows of people reached (field is their path, "content.beneficiaries").
// places adds the checks against the rules' areas and wards and of rows given twice; handlers'
// re-checks (humanStep) leave them out, since they depend only on the request and the rules the
// validator already read, so runs recorded before wards were asked replay as they ran.
func checkBeneficiaries(rules scheme.Rules, rows []BeneficiaryCount, field string, places bool) error {
	seen := map[BeneficiaryCount]int{}
	for i, b := range rows {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case b.Count < 0:
			return refuse(RefusalInvalid, f+".count", "cannot be negative")
		case !slices.Contains(AgeBands, b.AgeBand):
			return refuse(RefusalInvalid, f+".age_band", "must be under_18, 18_24 or 25_plus")
		case strings.TrimSpace(b.Area) == "":
			return refuse(RefusalInvalid, f+".area", "is required")
		}
		if !places {
			continue
		}
		if err := checkPlace(rules, b, f); err != nil {
			return err
		}
		key := b
		key.Count = 0
		if j, twice := seen[key]; twice {
			return refuse(RefusalInvalid, f, "repeats %s[%d]: give each place and age band once", field, j)
		}
		seen[key] = i
	}
	return nil
}

// checkPlace checks a row's area is one of the scheme's and its ward one the scheme lists in it.
func checkPlace(rules scheme.Rules, b BeneficiaryCount, f string) error {
	if len(rules.Areas) > 0 && !slices.Contains(rules.Areas, b.Area) {
		return refuse(RefusalInvalid, f+".area", "%q is not one of the scheme's areas", b.Area)
	}
	listed := WardsIn(rules, b.Area)
	switch {
	case b.Ward == "" && len(listed) > 0:
		return refuse(RefusalInvalid, f+".ward", "is required: name the ward in %s as the scheme lists it, one of: %s", b.Area, strings.Join(listed, "; "))
	case b.Ward == "" || slices.Contains(listed, b.Ward):
		return nil
	case len(rules.Wards) == 0:
		return refuse(RefusalInvalid, f+".ward", "the scheme lists no wards: leave the ward out")
	case slices.Contains(rules.Wards, scheme.WardLabel(b.Area, b.Ward)):
		return refuse(RefusalInvalid, f+".ward", "write the ward as the scheme lists it: %q", scheme.WardLabel(b.Area, b.Ward))
	case !slices.Contains(rules.Wards, b.Ward):
		return refuse(RefusalInvalid, f+".ward", "%q is not one of the scheme's wards", b.Ward)
	case len(listed) == 0:
		area, _, _ := scheme.SplitWard(b.Ward)
		return refuse(RefusalInvalid, f+".ward", "%q is in %s, not %s; the scheme lists no wards in %s, so leave the ward out", b.Ward, area, b.Area, b.Area)
	default:
		area, _, _ := scheme.SplitWard(b.Ward)
		return refuse(RefusalInvalid, f+".ward", "%q is in %s, not %s", b.Ward, area, b.Area)
	}
}

// WardsIn lists the wards the rules name in an area, as listed ("Leicester: Abbey"), in order.
func WardsIn(rules scheme.Rules, area string) []string {
	var out []string
	for _, w := range rules.Wards {
		if a, _, ok := scheme.SplitWard(w); ok && a == area {
			out = append(out, w)
		}
	}
	return out
}
