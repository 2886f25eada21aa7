package web

// Two-person payments on finance's page: one member of finance proposes a batch of the payments
// due, a different member approves them, and once the bank has paid the approved ones (from the
// payment file) finance marks them paid with the bank's reference and the day. Every step goes
// through the API's batch calls, so the workflows' rule book decides who may take it.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Fields of the three sign-off forms (one name each, so the error summary links to the right one).
const (
	fieldPropose       = "propose"
	fieldApprove       = "approve"
	fieldPay           = "pay"
	fieldPaidReference = "paid-reference"
	fieldPaidOn        = "paid-on"
)

// signOffSection is what the page shows of the two-person steps.
type signOffSection struct {
	ToPropose    []option         // payments nobody has proposed yet
	ToApprove    []option         // proposed by someone else: this person may approve them
	OwnProposals []ownProposalRow // proposed by this person: another must approve them
	Approved     []option         // approved, not yet paid
	Excluded     []excludedRow
}

type ownProposalRow struct {
	Label, Refusal string
}

type excludedRow struct {
	ApplicationID int64
	Label, Reason string
}

// paymentKey is how a form names one payment: "<application>-<tranche>".
func paymentKey(appID int64, tranche int) string { return fmt.Sprintf("%d-%d", appID, tranche) }

func parsePaymentKey(k string) (apiv1.PaymentItem, bool) {
	a, t, ok := strings.Cut(k, "-")
	id, err1 := strconv.ParseInt(a, 10, 64)
	tranche, err2 := strconv.Atoi(t)
	if !ok || err1 != nil || err2 != nil || id <= 0 || tranche < 0 {
		return apiv1.PaymentItem{}, false
	}
	return apiv1.PaymentItem{ApplicationID: id, Tranche: tranche}, true
}

func paymentLabel(d store.PaymentDue) string {
	return fmt.Sprintf("%s: %s, %s to %s", d.AwardRef, paymentWhat(d.Tranche, d.FinancialYear, d.Quarter), d.Amount, d.Organisation)
}

// ownProposalRefusal is the rule book's words for why the proposer may not approve.
func ownProposalRefusal(tranche int) string {
	c := workflows.Case{Kind: scheme.Grassroots, Stage: workflows.StageAccepted}
	if tranche > 0 {
		c = workflows.Case{Kind: scheme.Service, Stage: workflows.StageActive}
	}
	return workflows.Refusals(c, workflows.Party{Role: scheme.RoleFinance, Proposed: true})[workflows.ActionApprovePayment]
}

// signOffSectionOf sorts the payments due by how far they are signed off, for the person u.
func signOffSectionOf(work apiv1.FinanceWork, file *apiv1.PaymentFile, u store.User) signOffSection {
	var v signOffSection
	for _, d := range work.Due {
		o := option{Value: paymentKey(d.ApplicationID, d.Tranche), Label: paymentLabel(d), Hint: "Due " + financeDate(d.DueOn)}
		if work.BankChangeHeld[d.ApplicationID] {
			o.Hint += ". Bank details change awaiting call-back"
		}
		switch {
		case d.Approved():
			o.Hint += fmt.Sprintf(". Proposed by %s, approved by %s", deref(d.ProposerName), deref(d.ApproverName))
			v.Approved = append(v.Approved, o)
		case d.Proposed() && *d.ProposedBy == u.ID:
			v.OwnProposals = append(v.OwnProposals, ownProposalRow{Label: o.Label, Refusal: ownProposalRefusal(d.Tranche)})
		case d.Proposed():
			o.Hint += ". Proposed by " + deref(d.ProposerName)
			v.ToApprove = append(v.ToApprove, o)
		default:
			v.ToPropose = append(v.ToPropose, o)
		}
	}
	if file != nil {
		for _, e := range file.Excluded {
			v.Excluded = append(v.Excluded, excludedRow{ApplicationID: e.Payment.ApplicationID, Label: paymentLabel(e.Payment), Reason: e.Reason})
		}
	}
	return v
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// chosenPayments reads a form's ticked payments, recording a problem when there are none.
func chosenPayments(f *form, name, what string) []apiv1.PaymentItem {
	var items []apiv1.PaymentItem
	for _, k := range f.List(name) {
		it, ok := parsePaymentKey(k)
		if !ok {
			f.add(name, "Choose "+what+" from the list")
			return nil
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		f.add(name, "Select at least one payment "+what)
	}
	return items
}

// proposePayments (POST /finance/proposals) proposes the ticked payments.
func (s *Server) proposePayments(c *gin.Context) {
	s.signOffPayments(c, fieldPropose, "to propose", "Payments proposed", s.opts.API.ProposePayments)
}

// approvePayments (POST /finance/approvals) approves the ticked payments.
func (s *Server) approvePayments(c *gin.Context) {
	s.signOffPayments(c, fieldApprove, "to approve", "Payments approved", s.opts.API.ApprovePayments)
}

// signOffPayments takes one of the two sign-offs (proposal or approval) for the payments ticked in
// field, through the API's batch step, and shows each payment's result under title.
func (s *Server) signOffPayments(c *gin.Context, field, what, title string,
	step func(context.Context, store.User, apiv1.PaymentBatchRequest) (apiv1.PaymentBatchResult, error)) {
	f := readForm(c)
	items := chosenPayments(f, field, what)
	if f.invalid() {
		s.financeInvalid(c, f)
		return
	}
	u, _ := currentUser(c)
	names := s.paymentNames(c) // read first: a payment paid now is no longer due
	res, err := step(c.Request.Context(), u, apiv1.PaymentBatchRequest{Payments: items})
	s.paymentResults(c, f, names, field, title, res, err)
}

// markPaid (POST /finance/paid) marks the ticked approved payments paid with the bank's reference
// and the day the bank paid them.
func (s *Server) markPaid(c *gin.Context) {
	f := readForm(c)
	items := chosenPayments(f, fieldPay, "to mark as paid")
	req := apiv1.PaidBatchRequest{Payments: items, Reference: f.Value(fieldPaidReference)}
	if !f.noNUL(map[string]string{fieldPaidReference: labelReference}, fieldPaidReference) && req.Reference == "" {
		f.add(fieldPaidReference, "Enter the bank's reference for the payments")
	}
	if paidOn, ok := f.date(fieldPaidOn, "the date the bank paid them"); ok {
		req.PaidOn = paidOn.Format(time.DateOnly)
	}
	if f.invalid() {
		s.financeInvalid(c, f)
		return
	}
	u, _ := currentUser(c)
	names := s.paymentNames(c) // read first: a payment paid now is no longer due
	res, err := s.opts.API.MarkPaid(c.Request.Context(), u, req)
	if err != nil && httperr.From(err).Status == http.StatusUnprocessableEntity {
		rules := []fieldRule{on("reference", fieldPaidReference, labelReference).missing("Enter the bank's reference for the payments"),
			onDate("paid_on", fieldPaidOn, labelPaidOn).missing("Enter the date the bank paid them")}
		if f.refused(httperr.From(err), rules) {
			s.financeInvalid(c, f)
			return
		}
	}
	s.paymentResults(c, f, names, fieldPay, "Payments marked as paid", res, err)
}

// financeInvalid shows finance's page again with the problems and everything typed kept.
func (s *Server) financeInvalid(c *gin.Context, f *form) {
	work, wk, ok := s.financeWork(c)
	if !ok {
		return
	}
	v := s.financeWorkPageFor(c, work, wk)
	s.render(c, http.StatusUnprocessableEntity, "finance", page{Title: "Payments and notices", Nav: "finance", Form: v.form(f), Data: v})
}

// paymentResultRow is one payment's line on the confirmation, each figure in its own column.
type paymentResultRow struct {
	ApplicationID int64
	Award         string // the award reference ("Application 12" when the payment is no longer listed as due)
	Payment       string // "One-off grant", "Tranche 2 (Q2 2026-27)"
	Payee         string
	Amount        string
	Outcome       string
	Refused       bool
	Pending       bool // not taken, or not known yet: the batch's deadline passed
	Message       string
}

type paymentResultsPage struct {
	Heading    string
	Rows       []paymentResultRow
	Incomplete bool
}

// outcomeWords names an outcome for people.
var outcomeWords = map[string]string{
	apiv1.OutcomeProposed:        "Proposed",
	apiv1.OutcomeApproved:        "Approved",
	apiv1.OutcomePaid:            "Paid",
	apiv1.OutcomeAlreadyRecorded: "Already recorded",
	apiv1.OutcomeRefused:         "Refused",
	apiv1.OutcomeUndecided:       "Not known yet",
	apiv1.OutcomeNotTaken:        "Not taken",
}

// paymentResults is the confirmation of a batch: each payment and what became of it.
func (s *Server) paymentResults(c *gin.Context, f *form, names map[string]store.PaymentDue, field, heading string, res apiv1.PaymentBatchResult, err error) {
	if err != nil {
		he := httperr.From(err)
		if he.Status >= http.StatusInternalServerError {
			s.serverError(c, err)
			return
		}
		for _, l := range refusalLines(he) {
			f.add(field, strings.TrimSuffix(l, "."))
		}
		s.financeInvalid(c, f)
		return
	}
	v := paymentResultsPage{Heading: heading, Incomplete: !res.Complete}
	for _, r := range res.Results {
		row := paymentResultRow{ApplicationID: r.ApplicationID, Award: fmt.Sprintf("Application %d", r.ApplicationID), Payment: paymentWhat(r.Tranche, 0, 0)}
		if r.Tranche > 0 {
			row.Payment = fmt.Sprintf("Tranche %d", r.Tranche)
		}
		if d, ok := names[paymentKey(r.ApplicationID, r.Tranche)]; ok {
			row.Award, row.Payment, row.Payee, row.Amount = d.AwardRef, paymentWhat(d.Tranche, d.FinancialYear, d.Quarter), d.Organisation, d.Amount.String()
		}
		row.Outcome, row.Message = outcomeWords[r.Outcome], upperFirst(r.Message)
		row.Refused, row.Pending = r.Outcome == apiv1.OutcomeRefused, r.Outcome == apiv1.OutcomeUndecided || r.Outcome == apiv1.OutcomeNotTaken
		v.Rows = append(v.Rows, row)
	}
	s.render(c, http.StatusOK, "payment-results", page{Title: heading, Nav: "finance", Data: v})
}

// paymentNames are the payments due by their form key, for the confirmation to name; a payment
// not among them is shown by its application and tranche.
func (s *Server) paymentNames(c *gin.Context) map[string]store.PaymentDue {
	names := map[string]store.PaymentDue{}
	u, _ := currentUser(c)
	if due, err := s.opts.API.PaymentsDue(c.Request.Context(), u, financeWeekOf(s.now()).Sunday); err == nil {
		for _, d := range due {
			names[paymentKey(d.ApplicationID, d.Tranche)] = d
		}
	}
	return names
}

// paymentFileCSV (GET /finance/payment-file.csv) is the payment file for the bank's bureau software.
func (s *Server) paymentFileCSV(c *gin.Context) {
	u, _ := currentUser(c)
	file, err := s.opts.API.PaymentFile(c.Request.Context(), u)
	if err != nil {
		if httperr.From(err).Status == http.StatusForbidden {
			s.notAllowed(c, "Only finance may download the payment file")
		} else {
			s.serverError(c, err)
		}
		return
	}
	body, err := file.CSV()
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(apiv1.PaymentFileName(s.now())))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", body)
}
