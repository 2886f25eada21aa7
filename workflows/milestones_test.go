package workflows

import (
	"slices"
	"testing"

	"grantflow/scheme"
)

// TestMilestonesFollowEachKindsJourney: each kind's progress runs in the order its applications
// live it, every stage the kind reaches after submission falls in one of its milestones, and only
// the stages that end a journey short of closing say so.
func TestMilestonesFollowEachKindsJourney(t *testing.T) {
	want := map[scheme.Kind][]Milestone{
		scheme.Grassroots: {MilestoneSubmitted, MilestoneEligibility, MilestoneAssessment, MilestoneDecision, MilestoneOffer,
			MilestonePayment, MilestoneMonitoring, MilestoneClosed},
		scheme.Service: {MilestoneSubmitted, MilestoneEligibility, MilestoneAssessment, MilestoneModeration, MilestoneDecision,
			MilestoneOffer, MilestoneDelivery, MilestoneFinal, MilestoneClosed},
	}
	reached := map[scheme.Kind][]Stage{scheme.Grassroots: grassrootsStages, scheme.Service: serviceStages}
	for kind, milestones := range want {
		if got := Milestones(kind); !slices.Equal(got, milestones) {
			t.Errorf("%s milestones = %v, want %v", kind, got, milestones)
		}
		for _, stage := range reached[kind] {
			m, _ := MilestoneOf(kind, stage)
			if stage == StageDraft {
				if m != "" {
					t.Errorf("%s draft is at milestone %q, want none", kind, m)
				}
				continue
			}
			if !slices.Contains(milestones, m) {
				t.Errorf("%s stage %s falls in no milestone of its kind (got %q)", kind, stage, m)
			}
		}
	}
	for _, stage := range Stages {
		_, ended := MilestoneOf(scheme.Grassroots, stage)
		if wantEnded := slices.Contains([]Stage{StageIneligible, StageDeclined, StageLapsed}, stage); ended != wantEnded {
			t.Errorf("stage %s ends short of closing = %v, want %v", stage, ended, wantEnded)
		}
	}
	if m, _ := MilestoneOf(scheme.Grassroots, StageAccepted); m != MilestonePayment {
		t.Errorf("an accepted grassroots grant is at %q, want payment (it awaits its payment)", m)
	}
	if m, _ := MilestoneOf(scheme.Service, StageAccepted); m != MilestoneOffer {
		t.Errorf("an accepted service award is at %q, want offer (its conditions are still to be met)", m)
	}
}
