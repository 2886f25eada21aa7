package workflows

import (
	"errors"
	"fmt"

	"grantflow/money"
	"grantflow/scheme"
)

// BandFor returns the lowest delegation band whose UpTo covers the whole-life total (UpTo 0 = unlimited).
// It is an error if no band covers it (the scheme has no unlimited band and the total is above the
// highest one) or if the total is negative.
func BandFor(rules scheme.Rules, wholeLife money.Pence) (scheme.Band, error) {
	if wholeLife < 0 {
		return scheme.Band{}, fmt.Errorf("the whole-life total, %s, must not be negative", wholeLife)
	}
	if len(rules.Delegation) == 0 {
		return scheme.Band{}, errors.New("this scheme has no delegation bands, so nobody may approve its awards")
	}
	found := false
	var best scheme.Band
	var highest money.Pence
	for _, b := range rules.Delegation {
		highest = max(highest, b.UpTo)
		if b.UpTo != 0 && b.UpTo < wholeLife {
			continue
		}
		if !found || lowerBand(b, best) {
			best, found = b, true
		}
	}
	if !found {
		return scheme.Band{}, fmt.Errorf("%s is above this scheme's highest delegation band, which goes up to %s", wholeLife, highest)
	}
	return best, nil
}

// MayApprove says whether a person of this role may approve this whole-life total: roles rank
// officer < head_of_commissioning < commissioner, and a higher role may approve what a lower band
// covers. The error is readable: "£120,000.00 needs approval by the Commissioner (band over
// £100,000.00); a commissioning officer may approve up to £5,000.00".
func MayApprove(rules scheme.Rules, role scheme.Role, wholeLife money.Pence) error {
	if roleRank(role) == 0 {
		return fmt.Errorf("%s may not approve awards", aOrAn(role.Noun()))
	}
	band, err := BandFor(rules, wholeLife)
	if err != nil {
		return err
	}
	if roleRank(band.Role) == 0 {
		return fmt.Errorf("this scheme's delegation band for %s names %q, which is not a role that approves awards", wholeLife, band.Role)
	}
	if roleRank(role) >= roleRank(band.Role) {
		return nil
	}
	msg := fmt.Sprintf("%s needs approval by the %s (%s); ", wholeLife, bandTitle(band), bandRange(rules, band))
	person := aOrAn(roleTitle(rules, role))
	if limit, ok := approvalLimit(rules, role); ok {
		msg += fmt.Sprintf("%s may approve up to %s", person, limit)
	} else {
		msg += fmt.Sprintf("%s may not approve awards under this scheme", person)
	}
	return errors.New(msg)
}

// AboveOfficerBand says whether a decision under this band is above the officers' delegated limit:
// the head of commissioning's or the Commissioner's. Each such decision has a numbered, published
// decision record.
func AboveOfficerBand(band scheme.Band) bool {
	return roleRank(band.Role) > roleRank(scheme.RoleOfficer)
}

// deciderRole is the role whose band covers the amount: the one told an application is ready for
// a decision. "" when no band covers it (the store then tells the case officer).
func deciderRole(rules scheme.Rules, amount money.Pence) string {
	band, err := BandFor(rules, amount)
	if err != nil {
		return ""
	}
	return string(band.Role)
}

// lowerBand reports whether band a covers less than band b (an unlimited band covers the most).
func lowerBand(a, b scheme.Band) bool {
	return a.UpTo != 0 && (b.UpTo == 0 || a.UpTo < b.UpTo)
}

// bandRange writes a band's limits: "band up to £5,000.00", "band over £5,000.00 up to £100,000.00",
// "band over £100,000.00".
func bandRange(rules scheme.Rules, band scheme.Band) string {
	var below money.Pence // the highest limit of a band lower than this one
	for _, b := range rules.Delegation {
		if lowerBand(b, band) {
			below = max(below, b.UpTo)
		}
	}
	switch {
	case band.UpTo == 0 && below == 0:
		return "band covering any amount"
	case band.UpTo == 0:
		return "band over " + below.String()
	case below == 0:
		return "band up to " + band.UpTo.String()
	}
	return "band over " + below.String() + " up to " + band.UpTo.String()
}

// approvalLimit is the most a role may approve: the highest band held by it or by a lower role.
// An unlimited band is never returned here, since a role holding one could approve anything.
func approvalLimit(rules scheme.Rules, role scheme.Role) (money.Pence, bool) {
	var limit money.Pence
	found := false
	for _, b := range rules.Delegation {
		if r := roleRank(b.Role); r > 0 && r <= roleRank(role) && b.UpTo > limit {
			limit, found = b.UpTo, true
		}
	}
	return limit, found
}

// roleRank orders the roles that decide; zero for a role that never approves.
func roleRank(r scheme.Role) int {
	switch r {
	case scheme.RoleOfficer:
		return 1
	case scheme.RoleHeadOfCommissioning:
		return 2
	case scheme.RoleCommissioner:
		return 3
	}
	return 0
}

func bandTitle(b scheme.Band) string {
	if b.Title != "" {
		return b.Title
	}
	return b.Role.Noun()
}

// roleTitle is how the scheme's bands name a role, or its readable name if no band names it.
func roleTitle(rules scheme.Rules, role scheme.Role) string {
	for _, b := range rules.Delegation {
		if b.Role == role && b.Title != "" {
			return b.Title
		}
	}
	return role.Noun()
}
