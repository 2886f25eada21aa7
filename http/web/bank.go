package web

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/workflows"
)

// Bank details on the pages: taken with the acceptance, shown masked to everyone, changed by the
// applicant after acceptance (held until finance's call-back), and the call-back recorded by finance.
// The full numbers are only in finance's payee bank details notice (a PDF).

// Field names of the bank details forms.
const (
	bankAccountName   = "bank.account_name"
	bankSortCode      = "bank.sort_code"
	bankAccountNumber = "bank.account_number"
	callBackChange    = "callback.change_id"
	callBackOutcome   = "callback.outcome"
	callBackPhone     = "callback.phone"
	callBackNotes     = "callback.notes"
)

// bankRules map the API's fields to the forms'. The reasons (package bankaccount) are sentences
// naming their field already, so they need no label.
var bankRules = []fieldRule{
	on("account_name", bankAccountName, ""),
	on("sort_code", bankSortCode, ""),
	on("account_number", bankAccountNumber, ""),
}

var callBackRules = []fieldRule{
	on("change_id", callBackOutcome, "The change"),
	on("outcome", callBackOutcome, "The outcome of the call-back"),
	on("phone", callBackPhone, "The number you called"),
	on("notes", callBackNotes, "What was said").missing("Enter who you spoke to and what they said"),
}

// bankSection is the application's bank details as the page shows them, with the forms offered.
type bankSection struct {
	Current, Held  *apiv1.BankDetailsView
	PaymentHeld    bool
	ChangeAction   string // the member's change form, when they may change the details
	CallBackAction string // finance's call-back form, when a change is held
	CallBackChange int64
	Outcomes       []option
	NoticeLink     string // finance's notice with the full numbers
}

func bankSectionOf(d apiv1.ApplicationDetail, role scheme.Role, member bool) *bankSection {
	base := applicationPath(d.ID)
	b := &bankSection{}
	if d.Bank != nil {
		b.Current, b.Held, b.PaymentHeld = d.Bank.Current, d.Bank.HeldChange, d.Bank.PaymentHeld
	}
	if member && slices.Contains(d.Actions, workflows.ActionChangeBankDetails) {
		b.ChangeAction = base + "/bank-details"
	}
	if b.Held != nil && slices.Contains(d.Actions, workflows.ActionConfirmBankDetails) {
		b.CallBackAction, b.CallBackChange = base+"/bank-details/call-back", b.Held.ID
		b.Outcomes = []option{
			{Value: apiv1.CallBackConfirmed, Label: "Confirmed: the organisation made this change"},
			{Value: apiv1.CallBackRejected, Label: "Not confirmed: keep paying the account we had"},
		}
	}
	if role == scheme.RoleFinance && !member && b.Current != nil && !b.PaymentHeld {
		b.NoticeLink = base + "/bank-details/notice.pdf"
	}
	if b.Current == nil && b.Held == nil && b.ChangeAction == "" {
		return nil
	}
	return b
}

func bankRequestOf(f *form) apiv1.BankDetailsRequest {
	return apiv1.BankDetailsRequest{AccountName: f.Value(bankAccountName), SortCode: f.Value(bankSortCode), AccountNumber: f.Value(bankAccountNumber)}
}

// changeBankDetails sends the member's new details; they are held until finance's call-back.
func (s *Server) changeBankDetails(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	_, err := s.opts.API.ChangeBankDetails(c.Request.Context(), u, d.ID, bankRequestOf(f))
	s.afterStep(c, d.ID, err, "bank-changed", s.onApplication(c, d.ID, f, bankRules))
}

// recordBankCallBack records finance's call-back on a held change.
func (s *Server) recordBankCallBack(c *gin.Context) {
	d, f, ok := s.memberStep(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	req := apiv1.BankCallBackRequest{Outcome: f.Value(callBackOutcome), Phone: f.Value(callBackPhone), Notes: f.Value(callBackNotes)}
	if d.Bank != nil && d.Bank.HeldChange != nil {
		req.ChangeID = d.Bank.HeldChange.ID
	}
	_, err := s.opts.API.RecordBankCallBack(c.Request.Context(), u, d.ID, req)
	done := "bank-confirmed"
	if req.Outcome == apiv1.CallBackRejected {
		done = "bank-rejected"
	}
	s.afterStep(c, d.ID, err, done, s.onApplication(c, d.ID, f, callBackRules))
}

// bankDetailsNotice downloads finance's notice with the full numbers.
func (s *Server) bankDetailsNotice(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	name, pdf, err := s.opts.API.PayeeBankDetailsNotice(c.Request.Context(), u, id)
	if err != nil {
		if he := httperr.From(err); he.Status == http.StatusForbidden || he.Status == http.StatusConflict {
			s.afterStep(c, id, err, "", nil)
			return
		}
		s.failRead(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", pdf)
}
