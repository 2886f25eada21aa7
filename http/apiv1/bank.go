package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"grantflow/bankaccount"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/letters"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Bank details are kept by the store, outside the workflows, so no history ever holds a full account
// number. They are given with the acceptance of an offer; a change after acceptance is held until
// finance confirms it by calling the organisation back. Everyone sees them masked; the full numbers
// reach finance only in the payee bank details notice (and the payment file).

// BankDetailsRequest is a bank account as the applicant types it.
type BankDetailsRequest struct {
	AccountName   string `json:"account_name"`
	SortCode      string `json:"sort_code"`
	AccountNumber string `json:"account_number"`
}

// BankDetailsView is a set of bank details as anyone may see them: the sort code's last two digits
// and the account number's last four.
type BankDetailsView struct {
	ID            int64      `json:"id"`
	AccountName   string     `json:"account_name"`
	SortCode      string     `json:"sort_code"`      // **-**-56
	AccountEnding string     `json:"account_ending"` // 5678
	Status        string     `json:"status"`
	GivenAt       time.Time  `json:"given_at"`
	CallBackAt    *time.Time `json:"call_back_at,omitempty"`
}

// BankView is what the application shows of its bank details: the ones paid to, and a change
// awaiting finance's call-back.
type BankView struct {
	Current     *BankDetailsView `json:"current,omitempty"`
	HeldChange  *BankDetailsView `json:"held_change,omitempty"`
	PaymentHeld bool             `json:"payment_held"` // nothing is paid while a change awaits call-back
}

func maskBank(b store.BankDetails) *BankDetailsView {
	return &BankDetailsView{ID: b.ID, AccountName: b.AccountName, SortCode: b.MaskedSortCode(), AccountEnding: b.AccountEnding(),
		Status: b.Status, GivenAt: b.SubmittedAt, CallBackAt: b.CallBackAt}
}

// bankView reads the application's bank details, masked; nil when none were given.
func (s *Server) bankView(ctx context.Context, id int64) (*BankView, error) {
	v := &BankView{}
	current, err := s.Store.PayeeBankDetails(ctx, id)
	switch {
	case err == nil:
		v.Current, v.PaymentHeld = maskBank(current), current.ChangeHeld
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	held, err := s.Store.HeldBankChange(ctx, id)
	switch {
	case err == nil:
		v.HeldChange = maskBank(held)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if v.Current == nil && v.HeldChange == nil {
		return nil, nil
	}
	return v, nil
}

// permitHere checks a step the API takes itself (not through a workflow) against the rule book, for
// the person and the application as the read model has them.
func (s *Server) permitHere(u store.User, app store.Application, action workflows.Action) error {
	kind := scheme.Grassroots
	if len(app.ServiceJSON) > 0 {
		kind = scheme.Service
	}
	return workflows.Permit(workflows.Case{Kind: kind, Stage: workflows.Stage(app.Status)}, action, workflows.Party{Role: u.Role, Member: u.MemberOf(app.OrganisationID)})
}

// checkBank tidies and checks typed bank details: a 422 naming each field at fault.
func checkBank(r BankDetailsRequest) (bankaccount.Details, error) {
	d, refused := bankaccount.Check(r.AccountName, r.SortCode, r.AccountNumber)
	if len(refused) > 0 {
		return d, httperr.Fields(refused)
	}
	return d, nil
}

func (s *Server) saveBank(ctx context.Context, u store.User, app store.Application, d bankaccount.Details) (store.BankDetails, error) {
	return s.Store.SaveBankDetails(ctx, store.NewBankDetails{ApplicationID: app.ID, AccountName: d.AccountName, SortCode: d.SortCode,
		AccountNumber: d.AccountNumber, By: u.ID, ByName: u.Name, ByRole: string(u.Role), At: s.now()})
}

// AcceptOffer accepts the offer (a one-off grant's award letter or a service award's agreement),
// giving the bank account to pay. The details are checked and kept first (keeping the same details
// twice records nothing new, so a retry is harmless), then the acceptance goes to the workflow.
func (s *Server) AcceptOffer(ctx context.Context, u store.User, id int64, r BankDetailsRequest) (workflows.UpdateResult, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	if err := s.permitHere(u, app, workflows.ActionAcceptOffer); err != nil {
		return workflows.UpdateResult{}, err
	}
	d, err := checkBank(r)
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	if _, err := s.saveBank(ctx, u, app, d); err != nil {
		return workflows.UpdateResult{}, err
	}
	return s.Step(ctx, u, id, func(_ scheme.Kind, a workflows.Actor) (string, any, error) {
		return workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: a}, nil
	})
}

// ChangeBankDetails is the applicant's change of bank details after acceptance: held, and nothing
// paid, until finance confirms it by call-back.
func (s *Server) ChangeBankDetails(ctx context.Context, u store.User, id int64, r BankDetailsRequest) (BankView, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return BankView{}, err
	}
	if err := s.permitHere(u, app, workflows.ActionChangeBankDetails); err != nil {
		return BankView{}, err
	}
	d, err := checkBank(r)
	if err != nil {
		return BankView{}, err
	}
	if _, err := s.saveBank(ctx, u, app, d); err != nil {
		return BankView{}, err
	}
	v, err := s.bankView(ctx, id)
	if err != nil || v == nil {
		return BankView{}, err
	}
	return *v, nil
}

// Call-back outcomes.
const (
	CallBackConfirmed = "confirmed"
	CallBackRejected  = "rejected"
)

// BankCallBackRequest is finance's record of the call-back about a held change.
type BankCallBackRequest struct {
	ChangeID int64  `json:"change_id"` // the held change (bank.held_change.id)
	Outcome  string `json:"outcome"`   // confirmed or rejected
	Phone    string `json:"phone"`     // the number called: one already held, never one given with the change
	Notes    string `json:"notes"`     // who was spoken to and what they said
}

// RecordBankCallBack records finance's call-back: a confirmed change becomes the account paid to; a
// rejected one is set aside and the earlier details stand.
func (s *Server) RecordBankCallBack(ctx context.Context, u store.User, id int64, r BankCallBackRequest) (BankView, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return BankView{}, err
	}
	if err := s.permitHere(u, app, workflows.ActionConfirmBankDetails); err != nil {
		return BankView{}, err
	}
	p := problems{}
	if r.ChangeID <= 0 {
		p.add("change_id", "give the id of the change awaiting call-back")
	}
	if r.Outcome != CallBackConfirmed && r.Outcome != CallBackRejected {
		p.add("outcome", "must be confirmed or rejected")
	}
	phone := strings.Join(strings.Fields(r.Phone), " ")
	digits := 0
	for _, c := range phone {
		switch {
		case unicode.IsDigit(c):
			digits++
		case c != ' ' && c != '+' && c != '(' && c != ')' && c != '-':
			digits = -100
		}
	}
	if phone == "" {
		p.add("phone", "give the number you called (one already held for the organisation)")
	} else if digits < 10 || digits > 15 {
		p.add("phone", "must be a telephone number of 10 to 15 digits, like 0116 496 0000")
	}
	p.required("notes", r.Notes)
	p.maxLen("notes", r.Notes, 2000)
	if err := p.err(); err != nil {
		return BankView{}, err
	}
	_, err = s.Store.RecordBankCallBack(ctx, store.BankCallBack{ApplicationID: app.ID, ChangeID: r.ChangeID, Confirmed: r.Outcome == CallBackConfirmed,
		Phone: phone, Notes: strings.TrimSpace(r.Notes), By: u.ID, ByName: u.Name, ByRole: string(u.Role), At: s.now()})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return BankView{}, httperr.Field("change_id", "no change of bank details with that id was made on this application")
	case errors.Is(err, store.ErrNoHeldBankChange):
		return BankView{}, httperr.Conflict("not_held", "that change of bank details has already been decided")
	case err != nil:
		return BankView{}, err
	}
	v, err := s.bankView(ctx, id)
	if err != nil || v == nil {
		return BankView{}, err
	}
	return *v, nil
}

// PayeeBankDetailsNotice is finance's notice of the account an award is paid into, with the full
// numbers: finance only, and never a member of the applicant organisation.
func (s *Server) PayeeBankDetailsNotice(ctx context.Context, u store.User, id int64) (filename string, pdf []byte, err error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return "", nil, err
	}
	if u.Role != scheme.RoleFinance || u.MemberOf(app.OrganisationID) {
		return "", nil, httperr.Forbidden("only finance may read an organisation's full bank details")
	}
	award, err := s.Store.AwardForApplication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, httperr.NotFound("award")
	} else if err != nil {
		return "", nil, err
	}
	b, err := s.Store.PayeeBankDetails(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, httperr.NotFound("bank details")
	} else if err != nil {
		return "", nil, err
	}
	if b.ChangeHeld {
		return "", nil, httperr.Conflict("bank_change_held", "bank details change awaiting call-back: confirm or reject it before paying")
	}
	how := "Given by the organisation when it accepted the offer"
	if b.CallBackAt != nil {
		who, err := s.Store.User(ctx, derefID(b.CallBackBy))
		if err != nil {
			return "", nil, err
		}
		how = fmt.Sprintf("Change confirmed by %s calling %s on %s", who.Name, b.CallBackPhone, b.CallBackAt.In(scheme.London).Format("2 January 2006"))
	}
	pdf, err = letters.PayeeBankDetailsNotice{Letterhead: s.Letterhead, Date: s.now().In(scheme.London), AwardReference: award.Reference,
		Payee: app.Organisation, AccountName: b.AccountName, SortCode: b.FormattedSortCode(), AccountNumber: b.AccountNumber,
		GivenOn: b.SubmittedAt.In(scheme.London), HowConfirmed: how}.PDF()
	if err != nil {
		return "", nil, err
	}
	return award.Reference + "-bank-details.pdf", pdf, nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (s *Server) changeBankDetails(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req BankDetailsRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.ChangeBankDetails(c.Request.Context(), u, app.ID, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) recordBankCallBack(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req BankCallBackRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.RecordBankCallBack(c.Request.Context(), u, app.ID, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) payeeBankDetailsNotice(c *gin.Context) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	name, pdf, err := s.PayeeBankDetailsNotice(c.Request.Context(), u, app.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", pdf)
}

// refuseWhileBankChangeHeld stops a payment while a change of the payee's bank details awaits
// finance's call-back: paying the old account, or the new unconfirmed one, is what the call-back
// is there to prevent.
func (s *Server) refuseWhileBankChangeHeld(ctx context.Context, applicationID int64) error {
	b, err := s.Store.PayeeBankDetails(ctx, applicationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if b.ChangeHeld {
		return httperr.Conflict("bank_change_held", "bank details change awaiting call-back: confirm or reject it before paying")
	}
	return nil
}
