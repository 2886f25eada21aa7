package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/money"
	"grantflow/scheme"
)

// Every fact about an application is recorded by recordEvent. When it is newly recorded,
// tellAbout writes, in the same transaction, what the moment tells the people it concerns: one
// notification per audience (keyed by the event's key and the audience, so a retried fact tells
// nobody twice) and, through notifyTx, one message per recipient. Reminders and escalations raised
// by a timer, and the few notices a workflow words itself (moderation due, conditions precedent to
// confirm, a tranche held, to the officer), are not here: the workflows send them
// (activities.Records.Notify), and no row below repeats one of them.

// Moment is what a fact is, for telling people of it. A change of stage is classified by the
// stage it leaves and the stage it enters (stageMoment); a fact that changes no stage is named by
// the store function that records it (Event.Moment).
type Moment string

// Moments.
const (
	MomentSubmitted            Moment = "submitted"
	MomentIneligible           Moment = "ineligible"
	MomentInformationRequested Moment = "information_requested"
	MomentInformationAnswered  Moment = "information_answered" // answered, or the deadline passed: back to assessment
	MomentReadyForDecision     Moment = "ready_for_decision"
	MomentDeclined             Moment = "declined"
	MomentOffered              Moment = "offered"
	MomentLapsed               Moment = "lapsed"
	MomentAccepted             Moment = "accepted"
	MomentPaymentRecorded      Moment = "payment_recorded"
	MomentReportReceived       Moment = "report_received"
	MomentReportChanges        Moment = "report_changes"
	MomentClosed               Moment = "closed"
	MomentPanelAssigned        Moment = "panel_assigned"
	MomentTrancheReleased      Moment = "tranche_released"
	MomentTrancheHeld          Moment = "tranche_held"
	MomentReturnReceived       Moment = "return_received"
	MomentVaried               Moment = "varied"
	MomentVariationAccepted    Moment = "variation_accepted"
	MomentTerminated           Moment = "terminated"
	MomentReadyToAssess        Moment = "ready_to_assess"       // a grassroots application through screening
	MomentPaymentProposed      Moment = "payment_proposed"      // one member of finance proposed it: another must approve
	MomentCaseOfficerAssigned  Moment = "case_officer_assigned" // by someone else: the first officer to act needs no telling
)

// Audiences only a moment names; tellAbout turns each into the audiences recipients knows.
const (
	audienceDecider  = "decider"  // the role whose delegation band covers the amount (Event.DeciderRole)
	audiencePanel    = "panel"    // each current panel member, as user:<id>
	audienceAssignee = "assignee" // the case officer the event assigned (Event.Assignee), as user:<id>
	audienceApprover = "approver" // every member of finance but the one who proposed the payment, as user:<id>
)

// A tell is one audience told of a moment in one kind of message. say writes what happened and
// by when, in words its audience may read: an applicant's never carries scores, conflicts, panel
// names or assessors' comments.
type tell struct {
	audience string
	kind     string
	only     scheme.Kind // set: only this kind of scheme tells (the other's workflow already does)
	say      func(m moment) string
	letter   bool // link the offer letter (or grant agreement) too
}

// moments is the one table of who is told what. Kinds name the wording the composer uses
// (notify.wordings): what to do, and the link.
var moments = map[Moment][]tell{
	MomentSubmitted: {{audience: AudienceApplicant, kind: "submission_received", say: func(m moment) string {
		return fmt.Sprintf("We have received your application, %s. We will check that it is eligible and tell you what happens next.", m.quoted())
	}}},
	MomentIneligible: {{audience: AudienceApplicant, kind: "ineligible", say: func(m moment) string {
		return fmt.Sprintf("Your application, %s, is not eligible for this scheme, so it has been closed. Why: %s", m.quoted(), m.e.Why)
	}}},
	MomentInformationRequested: {{audience: AudienceApplicant, kind: "information_requested", say: func(m moment) string {
		return fmt.Sprintf("We need more information about your application, %s. We asked: %s Answer by %s.", m.quoted(), sentence(m.e.Why), m.date(m.e.Due))
	}}},
	MomentInformationAnswered: {{audience: AudienceOfficer, kind: "ready_for_you", say: func(m moment) string {
		return fmt.Sprintf("%s: %s is back in assessment.", strings.TrimSuffix(m.e.What, ": back to assessment"), m.quoted())
	}}},
	MomentReadyForDecision: {{audience: audienceDecider, kind: "ready_for_decision", say: func(m moment) string {
		return fmt.Sprintf("%s from %s is ready for a decision.", m.quoted(), m.organisation)
	}}},
	MomentDeclined: {{audience: AudienceApplicant, kind: "declined", say: func(m moment) string {
		return fmt.Sprintf("We are sorry: we cannot fund your application, %s. Why: %s", m.quoted(), m.e.Why)
	}}},
	MomentOffered: {{audience: AudienceApplicant, kind: "offer", letter: true, say: func(m moment) string {
		return fmt.Sprintf("We are offering you a grant of %s for %s (reference %s). Accept the offer by %s or it will lapse.",
			m.awardAmount, m.quoted(), m.awardReference, m.date(m.acceptBy))
	}}},
	MomentLapsed: {
		{audience: AudienceApplicant, kind: "offer_lapsed", say: func(m moment) string {
			return fmt.Sprintf("Your offer of a grant for %s (reference %s) has lapsed: it was not accepted by %s.", m.quoted(), m.awardReference, m.date(m.acceptBy))
		}},
		{audience: AudienceOfficer, kind: "offer_lapsed", say: func(m moment) string {
			return fmt.Sprintf("The offer for %s (%s) lapsed unaccepted on %s; its budget goes back to the scheme.", m.quoted(), m.awardReference, m.date(m.acceptBy))
		}},
	},
	// Grassroots' workflow tells finance the payment is due as the offer is accepted, and service's
	// tells the officer to confirm the conditions precedent: each audience hears of it once.
	MomentAccepted: {
		{audience: AudienceOfficer, kind: "offer_accepted", only: scheme.Grassroots, say: func(m moment) string {
			return fmt.Sprintf("%s accepted the offer for %s (%s). Finance has been told to pay %s.", m.organisation, m.quoted(), m.awardReference, m.awardAmount)
		}},
		{audience: AudienceFinance, kind: "offer_accepted", only: scheme.Service, say: func(m moment) string {
			return fmt.Sprintf("%s accepted %s (%s). Each tranche's payment notice will follow when it is released.", m.organisation, m.awardReference, m.awardAmount)
		}},
	},
	MomentPaymentRecorded: {{audience: AudienceApplicant, kind: "payment_recorded", say: func(m moment) string {
		return fmt.Sprintf("We have paid %s of your grant for %s (reference %s) into your bank account.", m.e.Amount, m.quoted(), m.awardReference)
	}}},
	MomentReportReceived: {{audience: AudienceOfficer, kind: "ready_for_you", say: func(m moment) string {
		return fmt.Sprintf("%s has sent the %s for %s (%s). It is ready for you to review.", m.organisation, m.reportName(), m.quoted(), m.awardReference)
	}}},
	MomentReportChanges: {{audience: AudienceApplicant, kind: "report_changes", say: func(m moment) string {
		return fmt.Sprintf("We need you to change your %s for %s (reference %s). What to change: %s", m.reportName(), m.quoted(), m.awardReference, m.e.Why)
	}}},
	MomentClosed: {{audience: AudienceApplicant, kind: "grant_closed", say: func(m moment) string {
		return fmt.Sprintf("Your grant for %s (reference %s) is now closed. Thank you for the work it paid for.", m.quoted(), m.awardReference)
	}}},
	MomentReadyToAssess: {{audience: string(scheme.RoleAssessor), kind: "ready_to_assess", only: scheme.Grassroots, say: func(m moment) string {
		return fmt.Sprintf("%s from %s has passed screening and is ready to be assessed.", m.quoted(), m.organisation)
	}}},
	MomentPaymentProposed: {{audience: audienceApprover, kind: "payment_to_approve", say: func(m moment) string {
		return fmt.Sprintf("%s proposed paying %s: %s. Another member of finance must approve it before it is paid.",
			m.e.ActorName, m.organisation, m.e.What)
	}}},
	MomentCaseOfficerAssigned: {{audience: audienceAssignee, kind: "case_officer_assigned", say: func(m moment) string {
		return fmt.Sprintf("%s has made you the case officer for %s from %s. You will be told when it is ready for you, and of anything overdue.",
			m.e.ActorName, m.quoted(), m.organisation)
	}}},
	MomentPanelAssigned: {{audience: audiencePanel, kind: "panel_assigned", say: func(m moment) string {
		return fmt.Sprintf("You are on the assessment panel for %s from %s. Score it by %s.", m.quoted(), m.organisation, m.date(m.e.Due))
	}}},
	MomentTrancheReleased: {
		{audience: AudienceFinance, kind: "payment_due", say: func(m moment) string {
			return fmt.Sprintf("%s %s is released: pay %s to %s. The payment notice is on the finance page.", m.awardReference, m.e.Subject, m.e.Amount, m.organisation)
		}},
		{audience: AudienceApplicant, kind: "tranche_released", say: func(m moment) string {
			return fmt.Sprintf("%s of your grant for %s (reference %s), %s, is released (%s): finance will pay it.",
				upperFirst(m.e.Subject), m.quoted(), m.awardReference, m.e.Amount, m.e.Why)
		}},
	},
	// The officer hears of a hold from the workflow (kind tranche_held); the provider hears here.
	MomentTrancheHeld: {{audience: AudienceApplicant, kind: "tranche_held", say: func(m moment) string {
		return fmt.Sprintf("%s of your grant for %s (reference %s) is held: %s.", upperFirst(m.e.Subject), m.quoted(), m.awardReference, m.e.Why)
	}}},
	MomentReturnReceived: {{audience: AudienceOfficer, kind: "ready_for_you", say: func(m moment) string {
		return fmt.Sprintf("%s has sent the %s for %s (%s). It is ready for you to review.", m.organisation, m.e.Subject, m.quoted(), m.awardReference)
	}}},
	MomentVaried: {
		{audience: AudienceApplicant, kind: "variation_offered", letter: true, say: func(m moment) string {
			if m.e.Due.IsZero() {
				return fmt.Sprintf("Your grant for %s (reference %s) has changed: %s", m.quoted(), m.awardReference, sentence(m.e.Why))
			}
			return fmt.Sprintf("We are offering a change to your grant for %s (reference %s): %s Accept the varied agreement by %s.",
				m.quoted(), m.awardReference, sentence(m.e.Why), m.date(m.e.Due))
		}},
		{audience: AudienceFinance, kind: "grant_varied", say: func(m moment) string {
			return fmt.Sprintf("%s has been varied: it is now %s. The revised notice is on the finance page.", m.awardReference, m.awardAmount)
		}},
	},
	MomentVariationAccepted: {{audience: AudienceOfficer, kind: "variation_accepted", say: func(m moment) string {
		return fmt.Sprintf("%s accepted the varied agreement for %s (%s).", m.organisation, m.quoted(), m.awardReference)
	}}},
	MomentTerminated: {
		{audience: AudienceApplicant, kind: "grant_terminated", say: func(m moment) string {
			return fmt.Sprintf("Your grant for %s (reference %s) has been ended early, and no more payments will be made. Why: %s Send your final report.",
				m.quoted(), m.awardReference, sentence(m.e.Why))
		}},
		{audience: AudienceFinance, kind: "grant_terminated", say: func(m moment) string {
			return fmt.Sprintf("%s has been ended early: its future tranches are cancelled. The ending notice is on the finance page.", m.awardReference)
		}},
	},
}

// MomentKinds lists each kind of message the moments write with the audiences it goes to, so the
// composer's wordings can be checked to cover every one.
func MomentKinds() map[string][]string {
	kinds := map[string][]string{}
	for _, tells := range moments {
		for _, t := range tells {
			kinds[t.kind] = append(kinds[t.kind], t.audience)
		}
	}
	return kinds
}

// stageMoment classifies a change of stage; "" when it tells nobody (the workflow's own notices
// cover moderation, the final report falling due and recovery).
func stageMoment(previous, next string) Moment {
	if previous == next {
		return ""
	}
	switch next {
	case "ineligible":
		return MomentIneligible
	case "information_requested":
		return MomentInformationRequested
	case "assessment":
		switch previous {
		case "information_requested":
			return MomentInformationAnswered
		case "screening":
			return MomentReadyToAssess
		}
	case "decision":
		if previous == "assessment" || previous == "moderation" {
			return MomentReadyForDecision
		}
	case "declined":
		return MomentDeclined
	case "offered":
		return MomentOffered
	case "lapsed":
		return MomentLapsed
	case "accepted":
		return MomentAccepted
	case "report_submitted", "final_report_submitted":
		return MomentReportReceived
	case "paid":
		if previous == "report_submitted" {
			return MomentReportChanges
		}
	case "final_report":
		if previous == "final_report_submitted" {
			return MomentReportChanges
		}
	case "closed":
		return MomentClosed
	}
	return ""
}

// moment is what the messages of one fact may say: the event and the application as it stands.
type moment struct {
	e              Event
	title          string
	organisation   string
	schemeKind     scheme.Kind
	awardReference string
	awardAmount    money.Pence
	acceptBy       time.Time
	letterID       int64
}

func (m moment) quoted() string { return "\u201c" + m.title + "\u201d" }

// date is a day as GOV.UK writes it, in London: "5 January 2027".
func (m moment) date(t time.Time) string { return t.In(scheme.London).Format("2 January 2006") }

func (m moment) reportName() string {
	if m.schemeKind == scheme.Service {
		return "final report"
	}
	return "end-of-grant report"
}

// tellAbout writes the notifications of a newly recorded event, in its transaction.
func (s *Store) tellAbout(ctx context.Context, tx *sqlx.Tx, e Event, previousStatus string) error {
	if s.Outbox.Compose == nil {
		return nil
	}
	name := e.Moment
	if name == "" {
		name = stageMoment(previousStatus, e.Status)
	}
	tells := moments[name]
	if len(tells) == 0 {
		return nil
	}
	m := moment{e: e}
	var (
		kind     string
		acceptBy sql.NullTime
	)
	err := tx.QueryRowxContext(ctx, `SELECT a.title, o.name, s.kind, coalesce(aw.reference, ''), coalesce(aw.amount_pence, 0), aw.accept_by,
			coalesce((SELECT d.id FROM documents d WHERE d.application_id = a.id AND d.kind IN ('award_letter', 'grant_agreement')
				ORDER BY d.version DESC, d.id DESC LIMIT 1), 0)
		FROM applications a JOIN organisations o ON o.id = a.organisation_id JOIN schemes s ON s.id = a.scheme_id
		LEFT JOIN awards aw ON aw.application_id = a.id WHERE a.id = $1`, e.Application).
		Scan(&m.title, &m.organisation, &kind, &m.awardReference, &m.awardAmount, &acceptBy, &m.letterID)
	if err != nil {
		return fmt.Errorf("tell about %s: application %d: %w", e.Key, e.Application, notFound(err))
	}
	m.schemeKind, m.acceptBy = scheme.Kind(kind), acceptBy.Time
	for _, t := range tells {
		if t.only != "" && t.only != m.schemeKind {
			continue
		}
		audiences, err := s.audiencesOf(ctx, tx, t.audience, e)
		if err != nil {
			return err
		}
		for _, audience := range audiences {
			n := Notification{Key: e.Key + "/" + audience, ApplicationID: e.Application, Audience: audience, Kind: t.kind,
				Message: t.say(m), CreatedAt: e.At}
			if t.letter {
				n.DocumentID = m.letterID
			}
			if err := notifyTx(ctx, n, s.Outbox)(tx); err != nil {
				return err
			}
		}
	}
	return nil
}

// audiencesOf turns a moment's audience into those recipients knows.
func (s *Store) audiencesOf(ctx context.Context, tx *sqlx.Tx, audience string, e Event) ([]string, error) {
	switch audience {
	case audienceDecider:
		return deciders(ctx, tx, e)
	case audienceAssignee:
		return []string{fmt.Sprintf("%s%d", audienceUser, e.Assignee)}, nil
	case audienceApprover:
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM users WHERE role = $1 AND id <> $2 ORDER BY id`,
			string(scheme.RoleFinance), e.ActorUserID); err != nil {
			return nil, err
		}
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = fmt.Sprintf("%s%d", audienceUser, id)
		}
		return list, nil
	case audiencePanel:
		var ids []int64
		// those this event assigned: members assigned before were told then
		if err := tx.SelectContext(ctx, &ids, `SELECT assessor_id FROM panel_members WHERE application_id = $1 AND assigned_at = $2
			AND removed_at IS NULL ORDER BY assessor_id`, e.Application, e.At); err != nil {
			return nil, err
		}
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = fmt.Sprintf("%s%d", audienceUser, id)
		}
		return list, nil
	}
	return []string{audience}, nil
}

// deciders are who is told an application is ready for a decision: the case officer when the band
// is an officer's and they may take it, else every member of the band's role who may (neither a
// member of the applying organisation nor one with a stake in it: Event.NotToDecide). Nobody in the
// role may: the heads of commissioning, who can assign someone who may.
func deciders(ctx context.Context, tx *sqlx.Tx, e Event) ([]string, error) {
	role := e.DeciderRole
	if role == "" { // a fact recorded before the workflow named the band's role
		role = string(scheme.RoleOfficer)
	}
	var ids []int64
	err := tx.SelectContext(ctx, &ids, `SELECT u.id FROM users u JOIN applications a ON a.id = $1
		WHERE u.role = $2 AND NOT u.id = ANY($3)
		AND NOT EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = a.organisation_id AND m.user_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.application_id = a.id AND c.user_id = u.id AND c.has_conflict)
		ORDER BY (u.id = a.case_officer_id) DESC, u.id`, e.Application, role, pq.Array(append([]int64{0}, e.NotToDecide...)))
	if err != nil {
		return nil, fmt.Errorf("deciders of application %d: %w", e.Application, err)
	}
	if len(ids) == 0 {
		return []string{string(scheme.RoleHeadOfCommissioning)}, nil
	}
	var caseOfficer sql.NullInt64
	if err := tx.GetContext(ctx, &caseOfficer, `SELECT case_officer_id FROM applications WHERE id = $1`, e.Application); err != nil {
		return nil, err
	}
	if role == string(scheme.RoleOfficer) && caseOfficer.Valid && ids[0] == caseOfficer.Int64 {
		ids = ids[:1]
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = fmt.Sprintf("%s%d", audienceUser, id)
	}
	return list, nil
}

// trancheName is how a message names a tranche: its payment's number.
func trancheName(no int) string { return fmt.Sprintf("payment %d", no) }

// sentence ends a person's text with a full stop, so the words after it read on.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".?!") {
		return s
	}
	return s + "."
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
