package apiv1

import (
	"strings"
	"testing"

	"grantflow/store"
)

// Applicants read the whole story of their application, but never who sat on its panel, who
// declared an interest, or in what role anyone scored it.
func TestRedactedTimelineNamesNoPanelMemberNorTheirRole(t *testing.T) {
	id := int64(7)
	events := []store.Event{
		{ActorName: "Olu Officer", ActorRole: "officer", ActorUserID: &id, What: "Panel assigned: Ada Assessor, Pat Panel", Why: "Scores due by 3 March 2027."},
		{ActorName: "Ada Assessor", ActorRole: "assessor", ActorUserID: &id, What: "Declared a conflict of interest: removed from the panel and barred from scoring and deciding", Why: "My sister is a trustee."},
		{ActorName: "Ada Assessor", ActorRole: "assessor", ActorUserID: &id, What: "Ada Assessor removed from the panel", Why: "Declared a conflict of interest."},
		{ActorName: "Pat Panel", ActorRole: "assessor", ActorUserID: &id, What: "Panel assessment submitted", Why: "Weighted score 72.00; recommendation: fund."},
		{ActorName: "Olu Officer", ActorRole: "officer", What: "Offer accepted"},
	}
	got := redactTimeline(events, false)
	for _, e := range got[:4] {
		line := e.What + " " + e.Why + " " + e.ActorName + " " + e.ActorRole
		for _, secret := range []string{"Ada", "Pat", "Olu", "assessor", "officer", "sister", "72.00"} {
			if strings.Contains(line, secret) {
				t.Errorf("an applicant's timeline line %q still says %q", line, secret)
			}
		}
		if e.ActorUserID != nil {
			t.Errorf("line %q still carries the actor's id", e.What)
		}
	}
	if got[0].What != "Panel assigned" || got[2].What != "A panel member stood down" {
		t.Errorf("panel lines read %q and %q; want them kept without names", got[0].What, got[2].What)
	}
	if got[4].ActorName != "Olu Officer" {
		t.Errorf("a line outside the panel's work lost its actor: %+v", got[4])
	}
}
