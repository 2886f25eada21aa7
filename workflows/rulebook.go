// The rule book: who may take which step on an application, at which stage. The workflows' validators
// and the API's "actions" hints both read it, so what a person is offered and what the workflow
// accepts cannot drift apart. Values (amounts, dates, wording) are checked by each step's validator.

package workflows

import (
	"fmt"
	"slices"
	"strings"

	"grantflow/money"
	"grantflow/scheme"
)

// Action is a step a person may take on an application; the API lists them as "actions".
type Action string

const (
	ActionUpdate            Action = "update" // a draft, before the workflow starts
	ActionSubmit            Action = "submit"
	ActionAssignPanel       Action = "assign_panel"
	ActionDeclareConflict   Action = "declare_conflict"
	ActionAssess            Action = "assess"
	ActionModerate          Action = "moderate"
	ActionDecide            Action = "decide"
	ActionAnswerInformation Action = "answer_information"
	ActionAcceptOffer       Action = "accept_offer"
	ActionConfirmConditions Action = "confirm_conditions"
	ActionProposePayment    Action = "propose_payment"
	ActionApprovePayment    Action = "approve_payment"
	ActionRecordPayment     Action = "record_payment"
	ActionSubmitReturn      Action = "submit_return"
	ActionReviewReturn      Action = "review_return"
	ActionVary              Action = "vary"
	ActionAcceptVariation   Action = "accept_variation"
	ActionTerminate         Action = "terminate"
	ActionSubmitReport      Action = "submit_report"
	ActionReviewReport      Action = "review_report"
	ActionWaiveReturns      Action = "waive_returns"
	ActionRecordRepayment   Action = "record_repayment"
	ActionWriteOff          Action = "write_off"
	// Bank details are kept outside the workflow (no full account number in a history): the API
	// checks these two steps against the rule book and the store records them.
	ActionChangeBankDetails  Action = "change_bank_details"  // the applicant's change after acceptance, held until call-back
	ActionConfirmBankDetails Action = "confirm_bank_details" // finance's call-back, confirming or rejecting a held change
)

// Bar is a relation between a person and an application that stops them taking a step.
type Bar string

const (
	BarMember    Bar = "member"    // a member of the applicant organisation
	BarConflict  Bar = "conflict"  // declared a conflict of interest in it
	BarAssessed  Bar = "assessed"  // scored it, in any round
	BarPanel     Bar = "panel"     // was put on its panel
	BarModerated Bar = "moderated" // recommended it at moderation
	BarScored    Bar = "scored"    // has already sent their scores (a declaration then comes too late)
	BarProposed  Bar = "proposed"  // proposed the payment: another member of finance must approve it
)

// Party is what the rule book needs to know of the person asking and one application.
type Party struct {
	Role       scheme.Role
	Member     bool // of the applicant organisation
	Conflicted bool
	Assessed   bool
	Panel      bool // has a seat on the panel (even one since given up)
	Seated     bool // sits on the panel now
	Scored     bool // has sent their panel scores
	Moderated  bool
	Proposed   bool // proposed the payment in question
}

func (p Party) has(b Bar) bool {
	switch b {
	case BarMember:
		return p.Member
	case BarConflict:
		return p.Conflicted
	case BarAssessed:
		return p.Assessed
	case BarPanel:
		return p.Panel
	case BarModerated:
		return p.Moderated
	case BarScored:
		return p.Scored
	case BarProposed:
		return p.Proposed
	}
	return false
}

// rule says who may take a step and when.
type rule struct {
	action    Action
	kinds     []scheme.Kind // empty: both kinds
	roles     []scheme.Role
	applicant bool    // the applicant's own step: the applicant role and a member of the organisation
	stages    []Stage // where the step applies
	bars      []Bar
	seated    bool // only a member of the panel
	banded    bool // the person's delegated authority must cover the award (see Stakes)
}

var (
	judges    = []scheme.Role{scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner}
	scorers   = []scheme.Role{scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning}
	officers  = []scheme.Role{scheme.RoleOfficer, scheme.RoleHeadOfCommissioning}
	deciders  = []scheme.Role{scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner}
	finance   = []scheme.Role{scheme.RoleFinance}
	heads     = []scheme.Role{scheme.RoleHeadOfCommissioning}
	grassOnly = []scheme.Kind{scheme.Grassroots}
	svcOnly   = []scheme.Kind{scheme.Service}
	// a decision about money: nobody with a stake in the application or its recommendation takes it
	decisionBars = []Bar{BarMember, BarConflict, BarPanel, BarModerated, BarAssessed}
	delivering   = []Stage{StageAccepted, StageActive, StageVariationOffered, StageFinalReport, StageFinalSubmitted}
	paying       = []Stage{StageActive, StageVariationOffered, StageFinalReport, StageFinalSubmitted}
	running      = []Stage{StageAccepted, StageActive, StageVariationOffered} // an award that may still be varied or ended
	// while something may still be paid: a one-off grant until its payment, a service award until
	// its final report is reviewed
	payable = map[scheme.Kind][]Stage{scheme.Grassroots: {StageAccepted}, scheme.Service: delivering}
)

// rulebook lists every step in the order the API offers them.
var rulebook = []rule{
	{action: ActionUpdate, applicant: true, stages: []Stage{StageDraft}},
	{action: ActionSubmit, applicant: true, stages: []Stage{StageDraft}},
	{action: ActionAssignPanel, kinds: svcOnly, roles: officers, stages: []Stage{StageAssessment}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionDeclareConflict, kinds: grassOnly, roles: judges, stages: []Stage{StageAssessment, StageDecision}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionDeclareConflict, kinds: svcOnly, roles: judges, stages: []Stage{StageAssessment, StageModeration, StageDecision}, bars: []Bar{BarMember, BarConflict, BarScored}},
	{action: ActionAssess, kinds: grassOnly, roles: scorers, stages: []Stage{StageAssessment}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionAssess, kinds: svcOnly, roles: scorers, stages: []Stage{StageAssessment}, bars: []Bar{BarMember, BarConflict, BarScored}, seated: true},
	{action: ActionModerate, kinds: svcOnly, roles: officers, stages: []Stage{StageModeration, StageDecision}, bars: []Bar{BarMember, BarConflict, BarPanel}},
	{action: ActionDecide, kinds: grassOnly, roles: deciders, stages: []Stage{StageDecision}, bars: decisionBars},
	{action: ActionDecide, kinds: svcOnly, roles: deciders, stages: []Stage{StageDecision}, bars: decisionBars, banded: true},
	{action: ActionAnswerInformation, kinds: grassOnly, applicant: true, stages: []Stage{StageInformationRequested}},
	{action: ActionAcceptOffer, applicant: true, stages: []Stage{StageOffered}},
	{action: ActionAcceptVariation, kinds: svcOnly, applicant: true, stages: []Stage{StageVariationOffered}},
	{action: ActionConfirmConditions, kinds: svcOnly, roles: officers, stages: []Stage{StageAccepted}, bars: []Bar{BarMember, BarConflict}},
	// Paying takes two people in finance (two-person payments): one proposes the payment, another
	// approves it, then it is paid and recorded with the bank's reference. Nobody in the applicant
	// organisation takes any of the three steps.
	{action: ActionProposePayment, kinds: grassOnly, roles: finance, stages: []Stage{StageAccepted}, bars: []Bar{BarMember}},
	{action: ActionApprovePayment, kinds: grassOnly, roles: finance, stages: []Stage{StageAccepted}, bars: []Bar{BarMember, BarProposed}},
	{action: ActionRecordPayment, kinds: grassOnly, roles: finance, stages: []Stage{StageAccepted}, bars: []Bar{BarMember}},
	// A service tranche is paid once released, which needs the conditions precedent met (active).
	{action: ActionProposePayment, kinds: svcOnly, roles: finance, stages: paying, bars: []Bar{BarMember}},
	{action: ActionApprovePayment, kinds: svcOnly, roles: finance, stages: paying, bars: []Bar{BarMember, BarProposed}},
	{action: ActionRecordPayment, kinds: svcOnly, roles: finance, stages: paying, bars: []Bar{BarMember}},
	{action: ActionSubmitReturn, kinds: svcOnly, applicant: true, stages: []Stage{StageAccepted, StageActive, StageVariationOffered, StageFinalReport}},
	{action: ActionReviewReturn, kinds: svcOnly, roles: officers, stages: delivering, bars: []Bar{BarMember, BarConflict}},
	{action: ActionVary, kinds: svcOnly, roles: deciders, stages: running, bars: decisionBars, banded: true},
	{action: ActionTerminate, kinds: svcOnly, roles: deciders, stages: running, bars: decisionBars, banded: true},
	{action: ActionSubmitReport, kinds: grassOnly, applicant: true, stages: []Stage{StagePaid}},
	{action: ActionSubmitReport, kinds: svcOnly, applicant: true, stages: []Stage{StageFinalReport}},
	{action: ActionReviewReport, kinds: grassOnly, roles: officers, stages: []Stage{StageReportSubmitted}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionReviewReport, kinds: svcOnly, roles: officers, stages: []Stage{StageFinalSubmitted}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionChangeBankDetails, kinds: grassOnly, applicant: true, stages: payable[scheme.Grassroots]},
	{action: ActionChangeBankDetails, kinds: svcOnly, applicant: true, stages: payable[scheme.Service]},
	// The call-back that confirms a change is never taken by someone of the organisation that asked for it.
	{action: ActionConfirmBankDetails, kinds: grassOnly, roles: finance, stages: payable[scheme.Grassroots], bars: []Bar{BarMember}},
	{action: ActionConfirmBankDetails, kinds: svcOnly, roles: finance, stages: payable[scheme.Service], bars: []Bar{BarMember}},
	// A grant closes with a funded quarter's return missing only on the head of commissioning's waiver.
	{action: ActionWaiveReturns, kinds: svcOnly, roles: heads, stages: []Stage{StageFinalReport, StageFinalSubmitted}, bars: []Bar{BarMember, BarConflict}},
	{action: ActionRecordRepayment, kinds: svcOnly, roles: finance, stages: []Stage{StageRecovery}, bars: []Bar{BarMember}},
	// Writing off a debt is a decision about money, banded on what is still owed (Stakes).
	{action: ActionWriteOff, kinds: svcOnly, roles: deciders, stages: []Stage{StageRecovery}, bars: decisionBars, banded: true},
}

// Case is the application as the rule book sees it.
type Case struct {
	Kind  scheme.Kind
	Stage Stage
	Rules scheme.Rules
	// Stakes is the whole-life total a banded step answers for: the recommended award when deciding
	// a service application the panel recommended (zero when it did not, as a decline commits
	// nothing), the award as it stands when varying or ending it, what is still owed when writing
	// off an underspend.
	Stakes money.Pence
}

func ruleFor(kind scheme.Kind, action Action) (rule, bool) {
	for _, r := range rulebook {
		if r.action == action && (len(r.kinds) == 0 || slices.Contains(r.kinds, kind)) {
			return r, true
		}
	}
	return rule{}, false
}

// Permit says whether the party may take the step on the case, as a refusal (Forbidden or
// WrongStage) that names the reason, or nil.
func Permit(c Case, action Action, p Party) error {
	r, ok := ruleFor(c.Kind, action)
	if !ok {
		return refuse(RefusalStage, "", "%s applications have no step %q", c.Kind, action)
	}
	if r.applicant {
		if p.Role != scheme.RoleApplicant || !p.Member {
			return refuse(RefusalForbidden, "", "only a member of the applicant organisation can take this step")
		}
	} else {
		if !slices.Contains(r.roles, p.Role) {
			if slices.Equal(r.roles, finance) {
				if action == ActionConfirmBankDetails || action == ActionProposePayment || action == ActionApprovePayment {
					return refuse(RefusalForbidden, "", "only finance may %s", actionPhrase(c.Kind, action))
				}
				return refuse(RefusalForbidden, "", "only finance may record payments")
			}
			if len(r.roles) == 1 {
				return refuse(RefusalForbidden, "", "only the %s may %s", r.roles[0].Noun(), actionPhrase(c.Kind, action))
			}
			return refuse(RefusalForbidden, "", "%s cannot take this step", aOrAn(p.Role.Noun()))
		}
		for _, b := range []Bar{BarMember, BarConflict} { // what bars a person from the application as a whole
			if slices.Contains(r.bars, b) && p.has(b) {
				return refuse(RefusalForbidden, "", "%s", barReason(b, c.Kind, action))
			}
		}
	}
	if err := r.atStage(c.Kind, c.Stage); err != nil {
		return err
	}
	if r.seated && !p.Seated {
		return refuse(RefusalForbidden, "", "you are not on this application's panel")
	}
	for _, b := range r.bars {
		if b != BarMember && b != BarConflict && p.has(b) {
			kind := RefusalForbidden
			if b == BarScored {
				kind = RefusalStage
			}
			return refuse(kind, "", "%s", barReason(b, c.Kind, action))
		}
	}
	if r.banded && c.Stakes > 0 {
		if err := MayApprove(c.Rules, p.Role, c.Stakes); err != nil {
			return refuse(RefusalForbidden, "", "%s", err.Error())
		}
	}
	return nil
}

// PermitStage checks only that the step applies at the case's stage. Handlers of runs that began
// before the rule book re-check just this (see humanStep): who may act was checked when the step was
// admitted, under the rules of the time, and a replay must take the path it took then.
func PermitStage(c Case, action Action) error {
	r, ok := ruleFor(c.Kind, action)
	if !ok {
		return refuse(RefusalStage, "", "%s applications have no step %q", c.Kind, action)
	}
	return r.atStage(c.Kind, c.Stage)
}

func (r rule) atStage(kind scheme.Kind, stage Stage) error {
	if !slices.Contains(r.stages, stage) {
		return refuseAtStage(stage, "cannot %s while the application is %s", actionPhrase(kind, r.action), strings.ReplaceAll(string(stage), "_", " "))
	}
	return nil
}

// Actions lists the steps the party may take on the case now, in the rule book's order.
func Actions(c Case, p Party) []Action {
	out := []Action{}
	for _, r := range rulebook {
		if (len(r.kinds) == 0 || slices.Contains(r.kinds, c.Kind)) && !slices.Contains(out, r.action) && Permit(c, r.action, p) == nil {
			out = append(out, r.action)
		}
	}
	return out
}

// Refusals says, for each step that applies at the case's stage but that the party may not take,
// why not, in Permit's words: the pages show it where the step's form would be ("only the head of
// commissioning may waive missing monitoring returns"), so a person learns who may.
func Refusals(c Case, p Party) map[Action]string {
	out := map[Action]string{}
	for _, r := range rulebook {
		if (len(r.kinds) > 0 && !slices.Contains(r.kinds, c.Kind)) || r.atStage(c.Kind, c.Stage) != nil {
			continue
		}
		if _, seen := out[r.action]; seen {
			continue
		}
		if err := Permit(c, r.action, p); err != nil {
			_, refusal, _ := RefusalOf(err)
			out[r.action] = refusal.Reason
		}
	}
	return out
}

func barReason(b Bar, kind scheme.Kind, action Action) string {
	object := actionPhrase(kind, action)
	if action == ActionDecide {
		object = "decide it"
	}
	switch b {
	case BarMember:
		return "you are a member of the applicant organisation, so you cannot " + actionPhrase(kind, action) + " on its application"
	case BarConflict:
		return "you declared a conflict of interest in this application"
	case BarAssessed:
		return "you assessed this application, so someone else must " + object
	case BarPanel:
		if action == ActionModerate {
			return "a panel member cannot moderate the panel"
		}
		return "you sat on the panel, so someone else must " + object
	case BarModerated:
		return "you recommended this award, so someone else must " + object
	case BarProposed:
		return "you proposed this payment, so another member of finance must approve it"
	case BarScored:
		if action == ActionDeclareConflict {
			return "you have already scored this application; ask the officer to remove your scores instead"
		}
		return "you have already submitted your scores"
	}
	return string(b)
}

// actionPhrase is the step inside a sentence: "cannot decide while …".
func actionPhrase(kind scheme.Kind, a Action) string {
	switch {
	case a == ActionSubmitReport && kind == scheme.Service:
		return "submit the final report"
	case a == ActionSubmitReport:
		return "submit the end-of-grant report"
	case a == ActionReviewReport && kind == scheme.Service:
		return "review the final report"
	case a == ActionReviewReport:
		return "review the end-of-grant report"
	}
	switch a {
	case ActionUpdate:
		return "change the draft"
	case ActionSubmit:
		return "submit the application"
	case ActionAssignPanel:
		return "assign the panel"
	case ActionDeclareConflict:
		return "declare a conflict of interest"
	case ActionAssess:
		return "submit an assessment"
	case ActionModerate:
		return "moderate"
	case ActionDecide:
		return "decide"
	case ActionAnswerInformation:
		return "answer an information request"
	case ActionAcceptOffer:
		return "accept the offer"
	case ActionConfirmConditions:
		return "confirm the conditions precedent"
	case ActionProposePayment:
		return "propose a payment"
	case ActionApprovePayment:
		return "approve a payment"
	case ActionRecordPayment:
		return "record a payment"
	case ActionSubmitReturn:
		return "submit a monitoring return"
	case ActionReviewReturn:
		return "review a monitoring return"
	case ActionVary:
		return "vary the award"
	case ActionAcceptVariation:
		return "accept a varied agreement"
	case ActionTerminate:
		return "end the award early"
	case ActionWaiveReturns:
		return "waive missing monitoring returns"
	case ActionRecordRepayment:
		return "record a repayment"
	case ActionWriteOff:
		return "write off the amount owed"
	case ActionChangeBankDetails:
		return "change the bank details"
	case ActionConfirmBankDetails:
		return "confirm a change of bank details by call-back"
	}
	return fmt.Sprint(a)
}

// Case officers are not a step of the workflow (an assignment changes no stage, so it is not among
// the API's "actions"), but who may assign them is a rule like the others: a commissioning officer
// or the head of commissioning, on a submitted application they are not barred from (a member of
// the applicant, or conflicted); and the officer assigned must be one who could be (of those roles,
// and not barred).
// PermitAssignCaseOfficer says whether the party may assign a case officer to the case, as a refusal
// naming the reason, or nil.
func PermitAssignCaseOfficer(c Case, p Party) error {
	if !slices.Contains(officers, p.Role) {
		return refuse(RefusalForbidden, "", "only a commissioning officer or the head of commissioning may assign a case officer")
	}
	if p.Member {
		return refuse(RefusalForbidden, "", "you are a member of the applicant organisation, so you cannot assign its case officer")
	}
	if p.Conflicted {
		return refuse(RefusalForbidden, "", "you declared a conflict of interest in this application")
	}
	if c.Stage == StageDraft || c.Stage == "" {
		return refuse(RefusalStage, "", "a case officer is assigned once the application is submitted")
	}
	return nil
}

// MayBeCaseOfficer says whether the person (as the party to the case) may be its case officer, as a
// refusal naming the reason, or nil.
func MayBeCaseOfficer(p Party) error {
	if !slices.Contains(scheme.CaseOfficerRoles, p.Role) {
		return refuse(RefusalInvalid, "user_id", "must be a commissioning officer or the head of commissioning")
	}
	if p.Member {
		return refuse(RefusalInvalid, "user_id", "is a member of the applicant organisation")
	}
	if p.Conflicted {
		return refuse(RefusalInvalid, "user_id", "has declared a conflict of interest in this application")
	}
	return nil
}

// Notification settings are each person's own. A daily digest and an away date are for staff: an
// applicant is told of each thing as it happens, and nobody covers for them while away.
// MayTakeDigest says whether a person of the role may choose a daily digest, as a refusal or nil.
func MayTakeDigest(role scheme.Role) error {
	if !role.IsStaff() {
		return refuse(RefusalInvalid, "notify_by", "only staff may choose a daily digest: applicants are e-mailed about each thing as it happens")
	}
	return nil
}

// MaySayAway says whether a person of the role may say they are away, as a refusal or nil.
func MaySayAway(role scheme.Role) error {
	if !role.IsStaff() {
		return refuse(RefusalInvalid, "away_until", "only staff may say they are away")
	}
	return nil
}
