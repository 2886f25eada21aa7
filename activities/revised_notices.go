package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"grantflow/grant"
	"grantflow/letters"
	"grantflow/scheme"
	"grantflow/store"
)

// Revised finance notices: every change of money after the award notice reaches finance. A
// variation sends notice <award>-FN<version>; an early ending sends <award>-FN-END. Each is keyed
// by (award, kind, seq) and by its reference, so a retried activity never sends a second one.

// Document kinds of the revised notices.
const (
	KindRevisedFinanceNotice = "revised_finance_notice" // version: the award's version after the variation
	KindFinanceEndingNotice  = "finance_ending_notice"
)

// RevisedNoticeInput asks for the notice that follows a change to an award, once the change stands:
// a variation to Version, or (Version 0) an early ending. Previous is each year's amount before the
// change and Cancelled the tranches it cancelled, as the workflow knew them; the award, its years
// and its schedule as they now stand are read from the store.
type RevisedNoticeInput struct {
	Step      Step
	Version   int
	Reason    string // what the variation changes, or why the award ended
	Previous  []grant.YearAmount
	Cancelled []ScheduledPayment
}

// RevisedNoticeReference is a revised notice's reference: <award>-FN<version> after a variation
// (the award notice is -FN1), <award>-FN-END after an early ending.
func RevisedNoticeReference(award string, version int) string {
	if version == 0 {
		return award + "-FN-END"
	}
	return fmt.Sprintf("%s-FN%d", award, version)
}

// IssueRevisedFinanceNotice tells finance how an award changed: each year's amount before and after,
// the payments as they now stand and those cancelled. It keeps the notice where finance lists them.
func (d *Documents) IssueRevisedFinanceNotice(ctx context.Context, in RevisedNoticeInput) (DocumentResult, error) {
	f, err := d.facts(ctx, in.Step.ApplicationID)
	if err != nil {
		return DocumentResult{}, err
	}
	award, err := d.Store.AwardForApplication(ctx, f.app.ID)
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	ended := in.Version == 0
	if ended && award.TerminatedAt == nil || !ended && award.Version != in.Version {
		return DocumentResult{}, invalidInput("revised finance notice %s: the award stands at version %d (ended early: %t), not as the notice says",
			RevisedNoticeReference(award.Reference, in.Version), award.Version, award.TerminatedAt != nil)
	}
	years, err := d.Store.AwardYears(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	tranches, err := d.Store.Tranches(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	paid, err := d.paidOn(ctx, award.ID)
	if err != nil {
		return DocumentResult{}, err
	}
	ref := RevisedNoticeReference(award.Reference, in.Version)
	notice := letters.RevisedFinanceNotice{Letterhead: d.Letterhead, Date: in.Step.At.In(scheme.London), NoticeReference: ref,
		AwardReference: award.Reference, Version: in.Version, Reason: in.Reason, Payee: letters.Recipient{Organisation: f.recip.Organisation, Address: f.recip.Address},
		Scheme: f.sc.Name, CostCentre: f.sc.Rules.CostCentre, DecidedBy: in.Step.Actor.Name + ", " + in.Step.Actor.Role.Title()}
	if ended {
		notice.EndedOn = award.TerminatedAt.In(scheme.London)
	}
	changes := yearChanges(in.Previous, years)
	for _, c := range changes {
		notice.Changes = append(notice.Changes, letters.YearChange{Label: c.Label, Before: c.Before, After: c.After})
	}
	scheduleRows, cancelledRows := []map[string]any{}, []map[string]any{}
	for _, t := range tranches {
		if t.Status == "cancelled" {
			continue
		}
		quarter := fmt.Sprintf("Q%d %s", t.Quarter, scheme.FinancialYearLabel(t.FinancialYear))
		note := fmt.Sprintf("Tranche %d, %s: released by a payment notice", t.No, quarter)
		switch {
		case t.Status == "paid":
			note = fmt.Sprintf("Tranche %d, %s: paid on %s", t.No, quarter, paid[t.No].Format("2 January 2006"))
		case t.Status == "released":
			note = fmt.Sprintf("Tranche %d, %s: released for payment", t.No, quarter)
		}
		notice.Schedule = append(notice.Schedule, letters.Payment{No: t.No, Due: t.DueOn, Amount: t.Amount, Note: note})
		scheduleRows = append(scheduleRows, map[string]any{"tranche": t.No, "quarter": quarter, "due": t.DueOn.Format(time.DateOnly),
			"amount_pence": t.Amount, "status": t.Status})
	}
	for _, c := range in.Cancelled {
		due := c.Due.In(scheme.London)
		notice.Cancelled = append(notice.Cancelled, letters.Payment{No: c.No, Due: due, Amount: c.Amount, Note: fmt.Sprintf("Tranche %d, %s: cancelled", c.No, c.Quarter)})
		cancelledRows = append(cancelledRows, map[string]any{"tranche": c.No, "quarter": c.Quarter, "due": due.Format(time.DateOnly), "amount_pence": c.Amount})
	}
	pdf, err := notice.PDF()
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	kind, docKind, version := store.NoticeVariation, KindRevisedFinanceNotice, in.Version
	if ended {
		kind, docKind, version = store.NoticeTermination, KindFinanceEndingNotice, 1
	}
	scheduleJSON, _ := json.Marshal(scheduleRows)
	changesJSON, _ := json.Marshal(changes)
	cancelledJSON, _ := json.Marshal(cancelledRows)
	previous := grant.WholeLife(in.Previous)
	n, err := d.Store.SaveFinanceNotice(ctx, store.FinanceNotice{AwardID: award.ID, Kind: kind, Seq: in.Version, Reference: ref, Payee: f.org.Name,
		Amount: award.Amount, Schedule: scheduleJSON, CostCentre: f.sc.Rules.CostCentre, CreatedAt: in.Step.At,
		PreviousAmount: &previous, Changes: changesJSON, Cancelled: cancelledJSON},
		store.Document{ApplicationID: f.app.ID, Kind: docKind, Version: version, Filename: ref + ".pdf", Content: pdf}, event(ctx, in.Step))
	if err != nil {
		return DocumentResult{}, classify(err)
	}
	doc, err := d.Store.Document(ctx, n.DocumentID)
	return DocumentResult{DocumentID: doc.ID, SHA256: doc.SHA256}, classify(err)
}

// paidOn is the day each of an award's tranches was paid, by tranche number.
func (d *Documents) paidOn(ctx context.Context, awardID int64) (map[int]time.Time, error) {
	payments, err := d.Store.Payments(ctx, awardID)
	if err != nil {
		return nil, err
	}
	out := make(map[int]time.Time, len(payments))
	for _, p := range payments {
		out[p.Tranche] = p.PaidOn
	}
	return out, nil
}

// yearChanges is every financial year of either set, with its amount before and after.
func yearChanges(before, after []grant.YearAmount) []store.NoticeChange {
	byYear := map[int]*store.NoticeChange{}
	var fys []int
	at := func(fy int) *store.NoticeChange {
		if c, ok := byYear[fy]; ok {
			return c
		}
		byYear[fy] = &store.NoticeChange{FinancialYear: fy, Label: scheme.FinancialYearLabel(fy)}
		fys = append(fys, fy)
		return byYear[fy]
	}
	for _, y := range before {
		at(y.FinancialYear).Before += y.Amount
	}
	for _, y := range after {
		at(y.FinancialYear).After += y.Amount
	}
	slices.Sort(fys)
	out := make([]store.NoticeChange, len(fys))
	for i, fy := range fys {
		out[i] = *byYear[fy]
	}
	return out
}

// versionChanges is what a varied agreement says it changes: each year's amount under the version
// before and under this one, and that version's conditions. They are known only while the award
// still stands at the version before (the variation's documents are issued before it stands);
// otherwise (runs that varied first) nil.
func versionChanges(award store.Award, stored []grant.YearAmount, in AgreementInput) ([]letters.YearChange, []string, error) {
	if in.Version < 2 || in.Terms == nil || award.Version != in.Version-1 {
		return nil, nil, nil
	}
	var conditions []string
	if err := json.Unmarshal(award.Conditions, &conditions); err != nil {
		return nil, nil, fmt.Errorf("grant agreement %s: conditions of version %d: %w", award.Reference, award.Version, err)
	}
	var out []letters.YearChange
	for _, c := range yearChanges(stored, in.Terms.Years) {
		out = append(out, letters.YearChange{Label: c.Label, Before: c.Before, After: c.After})
	}
	return out, nonNilStrings(conditions), nil
}

// markSettled marks the tranches of a varied agreement already paid or released for payment.
func (d *Documents) markSettled(ctx context.Context, awardID int64, ts []letters.Tranche) error {
	stored, err := d.Store.Tranches(ctx, awardID)
	if err != nil {
		return err
	}
	paid, err := d.paidOn(ctx, awardID)
	if err != nil {
		return err
	}
	for i := range ts {
		for _, s := range stored {
			switch {
			case s.No != ts[i].No:
			case s.Status == "paid":
				ts[i].PaidOn = paid[s.No]
			case s.Status == "released" && s.ReleasedAt != nil:
				ts[i].ReleasedOn = s.ReleasedAt.In(scheme.London)
			}
		}
	}
	return nil
}
