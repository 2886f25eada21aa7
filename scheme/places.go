package scheme

import (
	"regexp"
	"strings"
)

// Areas and wards carry the Office for National Statistics' GSS codes, so publication and reports
// can join them to official statistics. Rules keep the names (Areas, Wards) that eligibility and
// the forms use, and give codes beside them by name (AreaCodes, WardCodes); rules written before
// codes were kept simply have none.

var (
	// A local authority district: E06 (unitary), E07 (non-metropolitan district), E08
	// (metropolitan district), E09 (London borough), W06 (Welsh unitary), S12 (Scottish council area).
	ladCode = regexp.MustCompile(`^(E06|E07|E08|E09|W06|S12)[0-9]{6}$`)
	// An electoral ward: E05 (England), W05 (Wales), S13 (Scotland).
	wardCode = regexp.MustCompile(`^(E05|W05|S13)[0-9]{6}$`)
)

// IsAreaCode reports whether code is shaped like a local authority district's GSS code (E06000016).
func IsAreaCode(code string) bool { return ladCode.MatchString(code) }

// IsWardCode reports whether code is shaped like an electoral ward's GSS code (E05010458).
func IsWardCode(code string) bool { return wardCode.MatchString(code) }

// WardSeparator joins a ward's area and name as the rules list it: "Leicester: Abbey".
const WardSeparator = ": "

// WardLabel is how the rules list a ward: "Leicester: Abbey".
func WardLabel(area, ward string) string { return area + WardSeparator + ward }

// SplitWard splits a listed ward into its area and name; ok is false when it is not written
// "Area: Ward".
func SplitWard(label string) (area, ward string, ok bool) {
	area, ward, ok = strings.Cut(label, WardSeparator)
	area, ward = strings.TrimSpace(area), strings.TrimSpace(ward)
	return area, ward, ok && area != "" && ward != ""
}

// AreaCode is the GSS code of one of the scheme's areas, or "".
func (r Rules) AreaCode(area string) string { return r.AreaCodes[area] }

// WardCode is the GSS code of one of the scheme's wards ("Leicester: Abbey"), or "".
func (r Rules) WardCode(ward string) string { return r.WardCodes[ward] }
