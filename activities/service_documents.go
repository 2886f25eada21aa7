package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantflow/grant"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/publication/threesixtygiving"
	"grantflow/scheme"
	"grantflow/store"
)

// Service document kinds.
const (
	KindDecisionPack   = "decision_pack"
	KindDecisionRecord = "decision_record"
	KindGrantAgreement = "grant_agreement"
	KindPaymentNotice  = "payment_notice"
)

// RecommendInput is the moderated panel's recommendation.
type RecommendInput struct {
	Step                Step
	Fund                bool
	Years               []grant.YearAmount
	Conditions          []string
	ConditionsPrecedent []string
	Reasons             string
	StartDate           time.Time // when the agreement is to start (London midnight); zero before start dates
	Version             int       // 2, 3, ... when moderated again: a new decision pack replaces the recommendation
}

// IssueDecisionPack writes the decision pack (every assessor's scores per criterion, weighted totals
// and the recommendation, for the decision maker), then records the recommendation with it in one
// transaction: a pack that cannot be made leaves no recommendation, and the application where it was.
func (d *Documents) IssueDecisionPack(ctx context.Context, in RecommendInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	ref := ApplicationReference(f.sc.Rules.Code, f.app.ID)
	svc, err := f.app.Service()
	if err != nil {
		return DocumentResult{}, fmt.Errorf("decision pack for %s: service details: %w", ref, err)
	}
	panel, err := d.Store.Panel(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	assessments, err := d.Store.Assessments(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	names := map[int64]string{}
	for _, p := range panel {
		names[p.AssessorID] = p.AssessorName
	}
	pack := letters.DecisionPack{Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), Reference: ref,
		Organisation: f.org.Name, Scheme: f.sc.Name, Service: svc.Service, Requested: letterYears(svc.Years),
		Recommendation: letters.PanelRecommendation{Approve: in.Fund, Conditions: append(append([]string{}, in.ConditionsPrecedent...), in.Conditions...), Reasons: []string{in.Reasons}},
		ModeratedBy:    []string{in.Step.Actor.Name + ", " + in.Step.Actor.Role.Title() + " (moderator)"}}
	if in.Fund {
		pack.Recommendation.Years = letterYears(in.Years)
	}
	for _, c := range f.sc.Rules.Criteria {
		pack.Criteria = append(pack.Criteria, letters.CriterionRow{Key: c.Key, Name: c.Name, Weight: c.Weight, Minimum: c.Minimum})
	}
	for i := len(assessments) - 1; i >= 0; i-- { // oldest first, so columns follow the order of scoring
		a := assessments[i]
		var scores []struct {
			Criterion string `json:"criterion"`
			Score     int    `json:"score"`
		}
		if err := json.Unmarshal(a.Scores, &scores); err != nil {
			return DocumentResult{}, fmt.Errorf("decision pack for %s: scores of assessor %d: %w", ref, a.AssessorID, err)
		}
		byKey := map[string]int{}
		for _, s := range scores {
			byKey[s.Criterion] = s.Score
		}
		pack.Scores = append(pack.Scores, letters.PanelScore{Assessor: names[a.AssessorID], Scores: byKey, Weighted: a.Weighted})
	}
	pdf, err := pack.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	years, err := json.Marshal(nonNilYears(in.Years))
	if err != nil {
		return DocumentResult{}, err
	}
	conditions, err := json.Marshal(nonNilStrings(in.Conditions))
	if err != nil {
		return DocumentResult{}, err
	}
	cp, err := json.Marshal(nonNilStrings(in.ConditionsPrecedent))
	if err != nil {
		return DocumentResult{}, err
	}
	rec := store.Recommendation{ApplicationID: f.app.ID, RecommendedBy: in.Step.Actor.UserID, Years: years, Conditions: conditions,
		ConditionsPrecedent: cp, Reasons: in.Reasons, CreatedAt: in.Step.At, StartDate: dateColumn(in.StartDate), Version: max(in.Version, 1)}
	filename := pack.Reference + "-decision-pack.pdf"
	if rec.Version > 1 {
		filename = fmt.Sprintf("%s-decision-pack-v%d.pdf", pack.Reference, rec.Version)
	}
	doc, err := d.Store.SaveRecommendationWithPack(ctx, rec,
		store.Document{ApplicationID: f.app.ID, Kind: KindDecisionPack, Version: rec.Version, Filename: filename, Content: pdf}, event(ctx, in.Step))
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	return DocumentResult{DocumentID: doc.ID, SHA256: doc.SHA256}, nil
}

// DecisionRecordInput asks for the numbered record of a decision above the officer band: an award
// of either kind of scheme, or a variation of one.
type DecisionRecordInput struct {
	Step           Step
	Prefix         string
	AwardVersion   int
	DelegationBand string
	RulesVersion   int
	Terms          *AwardTerms // a variation's terms, recorded before they stand; nil: the award's as stored
	Variation      string      // what a variation changes (its summary); "" for the award itself
}

// AwardTerms are the terms a version of an award sets: its amounts per year and its conditions. A
// variation's documents are issued with them before the variation is applied to the award.
type AwardTerms struct {
	Years      []grant.YearAmount
	Conditions []string
}

// IssueDecisionRecord numbers the decision (the next in the year, the same number on a retry),
// writes its record and publishes it: from then on it is on the public decisions list. It returns
// the number. The record names the office that decided, the recommender's role and what was
// declared by whom by role, never a person (letters.DecisionRecord has no field for one).
func (d *Documents) IssueDecisionRecord(ctx context.Context, in DecisionRecordInput) (string, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return "", err
	}
	award, err := d.Store.AwardForApplication(ctx, f.app.ID)
	if err != nil {
		return "", classify(err)
	}
	years, err := d.Store.AwardYears(ctx, award.ID)
	if err != nil {
		return "", err
	}
	if len(years) == 0 { // a grassroots grant: one payment, in the year of the decision
		years = []grant.YearAmount{{FinancialYear: scheme.FinancialYear(award.DecidedAt), Amount: award.Amount}}
	}
	// Everything the record says is read before its number is allocated, and any failure to read
	// it is returned (and retried): a numbered public record is never published incomplete.
	var conditions []string
	if err := json.Unmarshal(award.Conditions, &conditions); err != nil {
		return "", fmt.Errorf("conditions of award %s: %w", award.Reference, err)
	}
	total := award.Amount
	if in.Terms != nil {
		years, conditions, total = in.Terms.Years, in.Terms.Conditions, grant.WholeLife(in.Terms.Years)
	}
	recommendedBy := ""
	r, err := d.Store.RecommendationFor(ctx, f.app.ID)
	switch {
	case err == nil:
		u, err := d.Store.User(ctx, r.RecommendedBy)
		if err != nil {
			return "", fmt.Errorf("decision record of %s: the recommending officer: %w", award.Reference, err)
		}
		recommendedBy = scheme.Role(u.Role).Title() + ", moderating the assessment panel"
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("decision record of %s: the recommendation: %w", award.Reference, err)
	}
	conflicts, err := d.Store.Conflicts(ctx, f.app.ID)
	if err != nil {
		return "", fmt.Errorf("decision record of %s: declarations of interest: %w", award.Reference, err)
	}
	declarations := []letters.Declaration{}
	for _, c := range conflicts {
		if c.HasConflict {
			u, err := d.Store.User(ctx, c.UserID)
			if err != nil {
				return "", fmt.Errorf("decision record of %s: who declared an interest: %w", award.Reference, err)
			}
			declarations = append(declarations, letters.Declaration{Role: declarerRole(scheme.Role(u.Role))})
		}
	}
	title := f.app.Title
	if f.sc.Kind == scheme.Service {
		svc, err := f.app.Service()
		if err != nil {
			return "", fmt.Errorf("decision record of %s: service details: %w", award.Reference, err)
		}
		title = svc.Service
	}
	if len(years) > 0 {
		first, last := scheme.FinancialYearLabel(years[0].FinancialYear), scheme.FinancialYearLabel(years[len(years)-1].FinancialYear)
		if first == last {
			title = fmt.Sprintf("%s, %s", title, first)
		} else {
			title = fmt.Sprintf("%s, %s to %s", title, first, last)
		}
	}
	variation := strings.TrimSpace(in.Variation)
	if in.AwardVersion > 1 {
		title += " (variation, version " + strconv.Itoa(in.AwardVersion) + ")"
		if variation == "" {
			variation = "Version " + strconv.Itoa(in.AwardVersion) + " of the award."
		}
	}
	rec, err := d.Store.AllocateDecisionRecord(ctx, in.Prefix, f.app.ID, in.AwardVersion, in.Step.Actor.UserID, string(in.Step.Actor.Role), in.Step.At.In(scheme.London))
	if err != nil {
		return "", fmt.Errorf("decision record of %s: allocate its number: %w", award.Reference, err)
	}
	record := letters.DecisionRecord{Letterhead: d.Letterhead, Number: rec.Number, Title: title, Office: in.Step.Actor.Role.Title(),
		Date: in.Step.At.In(scheme.London), Recipient: f.org.Name, RecipientID: threesixtygiving.RegisteredOrgID(f.org.CharityNumber, f.org.CompanyNumber),
		Scheme: f.sc.Name, Reference: award.Reference, Variation: variation, Years: letterYears(years), Total: total, Purpose: award.Purpose,
		Conditions: conditions, Reasons: []string{award.Reasons}, Band: in.DelegationBand, RulesVersion: in.RulesVersion,
		RecommendedBy: recommendedBy, Declarations: declarations}
	pdf, err := record.PDF()
	if err != nil {
		return "", classify(err)
	}
	content, err := json.Marshal(record)
	if err != nil {
		return "", fmt.Errorf("decision record %s: %w", rec.Number, err)
	}
	doc, err := d.Store.SaveDocument(ctx, store.Document{ApplicationID: f.app.ID, Kind: KindDecisionRecord, Version: in.AwardVersion,
		Filename: fmt.Sprintf("decision-record-%s.pdf", sanitise(rec.Number)), Content: pdf})
	if err != nil {
		return "", err
	}
	if err := d.Store.PublishDecisionRecord(ctx, rec.ID, doc.ID, content); err != nil {
		return "", err
	}
	in.Step.Why = rec.Number + ": " + in.Step.Why
	return rec.Number, classify(d.Store.RecordEvent(ctx, event(ctx, in.Step)))
}

// declarerRole names whoever declared an interest by role, as a published record does: "An
// assessor", "A commissioning officer".
func declarerRole(r scheme.Role) string {
	switch r {
	case scheme.RoleAssessor:
		return "An assessor"
	case scheme.RoleCommissioner:
		return "The Commissioner"
	case scheme.RoleOfficer, scheme.RoleHeadOfCommissioning:
		return "A " + r.Noun()
	}
	return "A member of staff"
}

// ScheduledPayment is one tranche as the agreement prints it.
type ScheduledPayment struct {
	No      int
	Quarter string
	Due     time.Time
	Amount  money.Pence
}

// ScheduledReturn is one quarter's return due date.
type ScheduledReturn struct {
	Quarter string
	Due     time.Time
}

// AgreementInput asks for a version of the award letter and grant agreement.
type AgreementInput struct {
	Step      Step
	Version   int
	Variation string // what a varied version changes
	Tranches  []ScheduledPayment
	Returns   []ScheduledReturn
	Terms     *AwardTerms // a variation's terms, issued before they stand; nil: the award's as stored
	AcceptBy  time.Time   // a varied version's acceptance deadline, as the workflow keeps it; zero: worked out here
}

// IssueGrantAgreement writes the award letter and grant agreement (a new version after a variation).
func (d *Documents) IssueGrantAgreement(ctx context.Context, in AgreementInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	years, err := d.Store.AwardYears(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	svc, err := f.app.Service()
	if err != nil {
		return DocumentResult{}, fmt.Errorf("grant agreement %s: service details: %w", award.Reference, err)
	}
	var conditions, cp []string
	if err := json.Unmarshal(award.Conditions, &conditions); err != nil {
		return DocumentResult{}, fmt.Errorf("grant agreement %s: conditions: %w", award.Reference, err)
	}
	if err := json.Unmarshal(award.ConditionsPrecedent, &cp); err != nil {
		return DocumentResult{}, fmt.Errorf("grant agreement %s: conditions precedent: %w", award.Reference, err)
	}
	changes, previousConditions, err := versionChanges(award, years, in)
	if err != nil {
		return DocumentResult{}, err
	}
	total := award.Amount
	if in.Terms != nil {
		years, conditions, total = in.Terms.Years, in.Terms.Conditions, grant.WholeLife(in.Terms.Years)
	}
	acceptBy := award.AcceptBy
	switch {
	case in.Version > 1 && !in.AcceptBy.IsZero():
		acceptBy = in.AcceptBy
	case in.Version > 1: // a varied agreement is accepted afresh, within the scheme's acceptance period from the variation
		d := in.Step.At.In(scheme.London).AddDate(0, 0, f.sc.Rules.AcceptanceDays)
		acceptBy = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, scheme.London)
	}
	agreement := letters.GrantAgreement{Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), Reference: award.Reference, Version: in.Version,
		Recipient: f.recip, Scheme: f.sc.Name, Service: svc.Service, ServiceDescription: svc.Description, Total: total,
		Years: letterYears(years), Purpose: award.Purpose, ConditionsPrecedent: cp, Conditions: conditions, AcceptBy: acceptBy.In(scheme.London),
		HowToAccept: "Sign in to Grantflow and accept the agreement on your application's page.",
		Signatory:   in.Step.Actor.Name + ", " + in.Step.Actor.Role.Title()} // the person who decided this version
	if award.StartDate != nil && len(years) > 0 { // awards from before start dates print no period
		agreement.StartDate, agreement.EndDate = LondonDate(*award.StartDate), LondonDate(awardEnd(years))
	}
	for _, t := range in.Tranches {
		agreement.Tranches = append(agreement.Tranches, letters.Tranche{No: t.No, Quarter: t.Quarter, Due: t.Due.In(scheme.London), Amount: t.Amount})
	}
	if in.Version > 1 {
		agreement.VariedOn, agreement.Variation = in.Step.At.In(scheme.London), in.Variation
		agreement.Changes, agreement.PreviousConditions = changes, previousConditions
		if err := d.markSettled(ctx, award.ID, agreement.Tranches); err != nil {
			return DocumentResult{}, err
		}
	}
	for _, r := range in.Returns {
		agreement.Returns = append(agreement.Returns, letters.ReturnDue{Quarter: r.Quarter, Due: r.Due.In(scheme.London)})
	}
	for _, o := range svc.Outcomes {
		for _, ind := range o.Indicators {
			targets := make([]string, len(in.Returns))
			for i := range targets {
				targets[i] = strconv.FormatInt(ind.QuarterlyTarget, 10)
			}
			agreement.Indicators = append(agreement.Indicators, letters.Indicator{Outcome: o.Outcome, Name: ind.Name, Unit: ind.Unit, Targets: targets})
		}
	}
	pdf, err := agreement.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	return d.save(ctx, in.Step, store.Document{ApplicationID: f.app.ID, Kind: KindGrantAgreement, Version: in.Version,
		Filename: fmt.Sprintf("%s-grant-agreement-v%d.pdf", award.Reference, in.Version), Content: pdf})
}

// WithdrawVariationInput takes back the documents issued for an award version whose variation
// could not be completed.
type WithdrawVariationInput struct {
	Step    Step
	Version int
}

// WithdrawVariationDocuments removes that version's grant agreement and decision record (its
// number stays with the version) and records why, once.
func (d *Documents) WithdrawVariationDocuments(ctx context.Context, in WithdrawVariationInput) error {
	return classify(d.Store.WithdrawVariationDocuments(ctx, in.Step.ApplicationID, in.Version, event(ctx, in.Step)))
}

// ReleaseTrancheInput releases one tranche to finance.
type ReleaseTrancheInput struct {
	Step    Step
	AwardID int64
	Tranche int
	Quarter string
	Due     time.Time
	Amount  money.Pence
	Basis   string
}

// IssuePaymentNotice sends finance the tranche's payment notice and marks it released, once.
func (d *Documents) IssuePaymentNotice(ctx context.Context, in ReleaseTrancheInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	tranches, err := d.Store.Tranches(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	count := 0
	for _, t := range tranches {
		if t.Status != "cancelled" {
			count++
		}
	}
	ref := fmt.Sprintf("%s-T%02d", award.Reference, in.Tranche)
	pdf, err := letters.PaymentNotice{Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), NoticeReference: ref, AwardReference: award.Reference,
		Payee: f.recip, Tranche: in.Tranche, TrancheCount: count, Quarter: in.Quarter, Amount: in.Amount, Due: in.Due.In(scheme.London),
		CostCentre: f.sc.Rules.CostCentre, Basis: in.Basis, ApprovedBy: "Grantflow, on the rules of the grant agreement"}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	schedule, _ := json.Marshal([]map[string]any{{"tranche": in.Tranche, "quarter": in.Quarter, "due": in.Due.In(scheme.London).Format(time.DateOnly), "amount_pence": in.Amount}})
	n, err := d.Store.ReleaseTranche(ctx, award.ID, in.Tranche, store.FinanceNotice{Reference: ref, Payee: f.org.Name, Amount: in.Amount, Schedule: schedule,
		CostCentre: f.sc.Rules.CostCentre, CreatedAt: in.Step.At},
		store.Document{ApplicationID: f.app.ID, Kind: KindPaymentNotice, Version: in.Tranche, Filename: ref + ".pdf", Content: pdf}, event(ctx, in.Step))
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	return DocumentResult{DocumentID: n.DocumentID}, nil
}

func letterYears(years []grant.YearAmount) []letters.YearAmount {
	out := make([]letters.YearAmount, len(years))
	for i, y := range years {
		out[i] = letters.YearAmount{Label: scheme.FinancialYearLabel(y.FinancialYear), Amount: y.Amount}
	}
	return out
}

func nonNilYears(v []grant.YearAmount) []grant.YearAmount {
	if v == nil {
		return []grant.YearAmount{}
	}
	return v
}

func sanitise(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == '/' {
			out[i] = '-'
		}
	}
	return string(out)
}
