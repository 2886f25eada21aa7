package web

import (
	"slices"

	"grantflow/scheme"
	"grantflow/workflows"
)

// An application's progress, step by step: each of its kind's milestones (workflows.Milestones) marked
// done, current or to come, or, on a journey that ended short of closing (not eligible, declined, an
// offer lapsed), where it ended and what it never reached. Each mark is written out, not only coloured.

// progressStep is one milestone as the page shows it.
type progressStep struct {
	No       int
	Name     string
	Status   string // "Done", "Current stage", "To come", "Ended here" or "Not reached"
	Hint     string // at the current or ending milestone: where within it the application stands
	TagClass string // the status's GOV.UK tag; "" shows the status as plain text
	Current  bool
}

// Progress marks.
const (
	progressDone       = "Done"
	progressCurrent    = "Current stage"
	progressToCome     = "To come"
	progressEndedHere  = "Ended here"
	progressNotReached = "Not reached"
)

// progressOf lays out the progress of an application of the kind at the stage; none for a draft.
func progressOf(kind scheme.Kind, stage workflows.Stage) []progressStep {
	at, ended := workflows.MilestoneOf(kind, stage)
	milestones := workflows.Milestones(kind)
	here := slices.Index(milestones, at)
	if here < 0 {
		return nil
	}
	label := progressHint(stage)
	out := make([]progressStep, len(milestones))
	for i, m := range milestones {
		step := progressStep{No: i + 1, Name: milestoneName(kind, m)}
		switch {
		case i < here || stage == workflows.StageClosed:
			step.Status, step.TagClass = progressDone, "govuk-tag--green"
		case i == here && ended:
			step.Status, step.TagClass, step.Hint, step.Current = progressEndedHere, "govuk-tag--red", label, true
		case i == here:
			step.Status, step.TagClass, step.Hint, step.Current = progressCurrent, "govuk-tag--blue", label, true
		case ended:
			step.Status = progressNotReached
		default:
			step.Status = progressToCome
		}
		out[i] = step
	}
	return out
}

// progressHint says where within its milestone an application stands: the stage's label, except
// where the label names the step just finished ("Paid", while the report is what comes next).
func progressHint(stage workflows.Stage) string {
	if stage == workflows.StagePaid {
		return "Grant paid: the report is due after the project ends"
	}
	label, _ := statusLabel(stage)
	return label
}

// milestoneName names a milestone for applicants and staff alike.
func milestoneName(kind scheme.Kind, m workflows.Milestone) string {
	switch m {
	case workflows.MilestoneSubmitted:
		return "Application submitted"
	case workflows.MilestoneEligibility:
		return "Eligibility check"
	case workflows.MilestoneAssessment:
		if kind == scheme.Service {
			return "Assessment by a panel"
		}
		return "Assessment"
	case workflows.MilestoneModeration:
		return "Moderation of the panel's scores"
	case workflows.MilestoneDecision:
		return "Decision"
	case workflows.MilestoneOffer:
		if kind == scheme.Service {
			return "Offer, acceptance and conditions"
		}
		return "Offer and acceptance"
	case workflows.MilestonePayment:
		return "Payment"
	case workflows.MilestoneMonitoring:
		return "End-of-grant report"
	case workflows.MilestoneDelivery:
		return "Service running: quarterly payments and monitoring returns"
	case workflows.MilestoneFinal:
		return "Final report"
	case workflows.MilestoneClosed:
		return "Grant closed"
	}
	return upperFirst(string(m))
}
