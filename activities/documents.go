package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"grantflow/letters"
	"grantflow/scheme"
	"grantflow/store"
)

// Documents writes letters and notices as PDFs into the store. Each is built only from saved
// facts (the award's decision date, not the clock), so a retry makes the same bytes and the
// unique (application, kind, version) key keeps one copy.
type Documents struct {
	Store      *store.Store
	Letterhead letters.Letterhead
}

// Document kinds, as listed to users.
const (
	KindAwardLetter        = "award_letter"
	KindDeclineLetter      = "decline_letter"
	KindFinanceAwardNotice = "finance_award_notice"
)

// DocumentResult identifies a stored document; workflows never carry its bytes.
type DocumentResult struct {
	DocumentID int64
	SHA256     string
}

// IssueDocumentInput names the application and the audit line for the issue.
type IssueDocumentInput struct {
	Step Step
	// ReportDue is when the end-of-grant report is due, printed in the award letter's monitoring section.
	ReportDue time.Time
}

// grantFacts is what every letter about one application needs.
type grantFacts struct {
	app   store.Application
	org   store.Organisation
	sc    store.Scheme
	recip letters.Recipient
}

func (d *Documents) facts(ctx context.Context, applicationID int64) (grantFacts, error) {
	var f grantFacts
	var err error
	if f.app, err = d.Store.Application(ctx, applicationID); err != nil {
		return f, classify(err)
	}
	if f.org, err = d.Store.Organisation(ctx, f.app.OrganisationID); err != nil {
		return f, classify(err)
	}
	if f.sc, err = d.Store.Scheme(ctx, f.app.SchemeID); err != nil {
		return f, classify(err)
	}
	contact, err := d.Store.User(ctx, f.app.CreatedBy)
	if err != nil {
		return f, classify(err)
	}
	f.recip = letters.Recipient{Organisation: f.org.Name, Contact: contact.Name, Address: addressLines(f.org)}
	return f, nil
}

// signatory is the person who approved, as a letter signs: "Name, Title". A failure to read them is
// returned (and retried), never printed as a letter without its signatory's name.
func (d *Documents) signatory(ctx context.Context, userID int64, role string) (string, error) {
	u, err := d.Store.User(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("signatory %d: %w", userID, classify(err))
	}
	return u.Name + ", " + scheme.Role(role).Title(), nil
}

// IssueAwardLetter writes the offer letter for an approved application.
func (d *Documents) IssueAwardLetter(ctx context.Context, in IssueDocumentInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	var conditions []string
	if err := json.Unmarshal(award.Conditions, &conditions); err != nil {
		return DocumentResult{}, fmt.Errorf("conditions of award %s: %w", award.Reference, err)
	}
	signatory, err := d.signatory(ctx, award.ApprovedBy, award.ApprovedRole)
	if err != nil {
		return DocumentResult{}, err
	}
	monitoring := []string{fmt.Sprintf("An end-of-grant report is due by %s: what the project did, what changed for the people it served, and how the grant was spent.", in.ReportDue.In(scheme.London).Format("2 January 2006"))}
	pdf, err := letters.AwardLetter{
		Letterhead: d.Letterhead, Date: award.DecidedAt.In(scheme.London), Reference: award.Reference, Recipient: f.recip,
		Scheme: f.sc.Name, Amount: award.Amount, Purpose: award.Purpose, Conditions: conditions,
		Payments:    []letters.Payment{{Amount: award.Amount, Note: "Paid in one payment once you accept this offer"}},
		Monitoring:  monitoring,
		AcceptBy:    award.AcceptBy.In(scheme.London),
		HowToAccept: "Sign in to Grantflow and accept the offer on your application's page.",
		Signatory:   signatory,
	}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	return d.save(ctx, in.Step, store.Document{ApplicationID: f.app.ID, Kind: KindAwardLetter, Filename: award.Reference + "-award-letter.pdf", Content: pdf})
}

// IssueDeclineLetter writes the letter that gives the reasons an application was declined.
func (d *Documents) IssueDeclineLetter(ctx context.Context, in DeclineInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	ref := ApplicationReference(f.sc.Rules.Code, f.app.ID)
	pdf, err := letters.DeclineLetter{
		Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), Reference: ref, Recipient: f.recip, Scheme: f.sc.Name,
		AmountRequested: f.app.AmountRequested, Reasons: in.Reasons, Signatory: in.Step.Actor.Name + ", " + in.Step.Actor.Role.Title(),
	}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	return d.save(ctx, in.Step, store.Document{ApplicationID: f.app.ID, Kind: KindDeclineLetter, Filename: ref + "-decision.pdf", Content: pdf})
}

// IssueFinanceAwardNotice tells finance what to pay, and keeps the notice as a record they can list.
func (d *Documents) IssueFinanceAwardNotice(ctx context.Context, in IssueDocumentInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	schedule := []letters.Payment{{Amount: award.Amount, Note: "One payment when the offer is accepted"}}
	scheduleRows := []map[string]any{{"due": "on acceptance", "amount_pence": award.Amount}}
	tranches, err := d.Store.Tranches(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	if len(tranches) > 0 { // a service award: quarterly tranches, each released by its own payment notice
		schedule, scheduleRows = nil, nil
		for _, t := range tranches {
			note := fmt.Sprintf("Tranche %d, Q%d %s: released by a payment notice", t.No, t.Quarter, scheme.FinancialYearLabel(t.FinancialYear))
			schedule = append(schedule, letters.Payment{No: t.No, Due: t.DueOn, Amount: t.Amount, Note: note})
			scheduleRows = append(scheduleRows, map[string]any{"tranche": t.No, "due": t.DueOn.Format(time.DateOnly), "amount_pence": t.Amount})
		}
	}
	noticeRef := award.Reference + "-FN1"
	approvedBy, err := d.signatory(ctx, award.ApprovedBy, award.ApprovedRole)
	if err != nil {
		return DocumentResult{}, err
	}
	pdf, err := letters.FinanceAwardNotice{
		Letterhead: d.Letterhead, Date: award.DecidedAt.In(scheme.London), NoticeReference: noticeRef, AwardReference: award.Reference,
		Payee: f.recip, Scheme: f.sc.Name, Amount: award.Amount, Schedule: schedule, CostCentre: f.sc.Rules.CostCentre,
		ApprovedBy: approvedBy,
	}.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	scheduleJSON, _ := json.Marshal(scheduleRows)
	n, err := d.Store.SaveFinanceNotice(ctx, store.FinanceNotice{AwardID: award.ID, Kind: "award", Reference: noticeRef, Payee: f.org.Name,
		Amount: award.Amount, Schedule: scheduleJSON, CostCentre: f.sc.Rules.CostCentre, CreatedAt: in.Step.At},
		store.Document{ApplicationID: f.app.ID, Kind: KindFinanceAwardNotice, Filename: noticeRef + ".pdf", Content: pdf}, event(ctx, in.Step))
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	doc, err := d.Store.Document(ctx, n.DocumentID)
	return DocumentResult{DocumentID: doc.ID, SHA256: doc.SHA256}, classify(err)
}

func (d *Documents) save(ctx context.Context, s Step, doc store.Document) (DocumentResult, error) {
	saved, err := d.Store.SaveDocument(ctx, doc)
	if err != nil {
		return DocumentResult{}, err
	}
	if err := d.Store.RecordEvent(ctx, event(ctx, s)); err != nil {
		return DocumentResult{}, err
	}
	return DocumentResult{DocumentID: saved.ID, SHA256: saved.SHA256}, nil
}

// ApplicationReference is the reference an application is known by before any award: GCF-A00042.
func ApplicationReference(code string, applicationID int64) string {
	return fmt.Sprintf("%s-A%05d", code, applicationID)
}

// AwardReference is the award's reference, from the scheme code, financial year and application.
func AwardReference(code string, financialYear int, applicationID int64) string {
	return fmt.Sprintf("%s-%d-%05d", code, financialYear, applicationID)
}

func addressLines(o store.Organisation) []string {
	var lines []string
	for _, l := range strings.Split(o.Address, "\n") {
		for _, part := range strings.Split(l, ",") {
			if p := strings.TrimSpace(part); p != "" {
				lines = append(lines, p)
			}
		}
	}
	if o.Postcode != "" {
		lines = append(lines, o.Postcode)
	}
	return lines
}
