package apiv1

import (
	"context"
	"errors"
	"time"

	"grantflow/scheme"
	"grantflow/store"
)

// financeReaders may read finance's work: the roles GET /finance/notices admits.
var financeReaders = []scheme.Role{scheme.RoleFinance, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleAdmin}

// FinanceWork is what finance works from: the notices received, the payments due, the
// tranches held and the underspends awaiting repayment.
type FinanceWork struct {
	Notices       []store.FinanceNotice // a page of them, newest first
	NoticePages   store.PageLinks
	Due           []store.PaymentDue // a page of each, earliest due first
	DuePages      store.PageLinks
	Held          []store.HeldTranche
	HeldPages     store.PageLinks
	Recoveries    []store.RecoveryDue
	RecoveryPages store.PageLinks
	// The agreement's start and end dates of the awards above, by application, where the award
	// has them (a one-off grant has neither; a service award from before start dates no start).
	AgreementStarts, AgreementEnds map[int64]time.Time
	// RecordsPayments is a hint, like an application's actions: the person's role is the one the
	// workflows let record payments. The workflows' validators remain the authority.
	RecordsPayments bool
	// BankChangeHeld names the payments due whose payee's change of bank details awaits finance's
	// call-back, by application: nothing is paid to them until it is decided.
	BankChangeHeld map[int64]bool
}

// FinancePages are the pages asked for of each of finance's lists, and the text the payments
// due, the tranches held and the recoveries are searched for (part of the award reference, the
// organisation's name or the title; "" for all).
type FinancePages struct {
	Notices, Due, Held, Recoveries store.PageRequest
	Search                         string
}

// FinanceWork reads finance's work for those who may see finance notices, with the payments due
// on or before the date dueThrough (its year, month and day), a page of each list as asked for.
func (s *Server) FinanceWork(ctx context.Context, u store.User, dueThrough time.Time, pages FinancePages) (FinanceWork, error) {
	if err := requireRole(u, financeReaders...); err != nil {
		return FinanceWork{}, err
	}
	notices, noticeLinks, err := s.Store.FinanceNoticePage(ctx, pages.Notices)
	if err != nil {
		return FinanceWork{}, err
	}
	due, dueLinks, err := s.Store.PaymentsDuePage(ctx, dueThrough, pages.Search, pages.Due)
	if err != nil {
		return FinanceWork{}, err
	}
	held, heldLinks, err := s.Store.HeldTranchesPage(ctx, pages.Search, pages.Held)
	if err != nil {
		return FinanceWork{}, err
	}
	recoveries, recoveryLinks, err := s.Store.RecoveriesDuePage(ctx, pages.Search, pages.Recoveries)
	if err != nil {
		return FinanceWork{}, err
	}
	var ids []int64
	for _, n := range notices {
		ids = append(ids, n.ApplicationID)
	}
	for _, d := range due {
		ids = append(ids, d.ApplicationID)
	}
	for _, h := range held {
		ids = append(ids, h.ApplicationID)
	}
	starts, err := s.Store.AwardStartDates(ctx, ids)
	if err != nil {
		return FinanceWork{}, err
	}
	ends, err := s.Store.AwardEndDates(ctx, ids)
	if err != nil {
		return FinanceWork{}, err
	}
	changeHeld := map[int64]bool{}
	for _, d := range due {
		if _, err := s.Store.HeldBankChange(ctx, d.ApplicationID); err == nil {
			changeHeld[d.ApplicationID] = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return FinanceWork{}, err
		}
	}
	return FinanceWork{Notices: notices, NoticePages: noticeLinks, Due: due, DuePages: dueLinks, Held: held, HeldPages: heldLinks,
		Recoveries: recoveries, RecoveryPages: recoveryLinks, AgreementStarts: starts, AgreementEnds: ends,
		RecordsPayments: u.Role == scheme.RoleFinance, BankChangeHeld: changeHeld}, nil
}

// PaymentsDue is every payment due on or before dueThrough, for those who may see finance's
// work: a file of them is whole, read a page at a time.
func (s *Server) PaymentsDue(ctx context.Context, u store.User, dueThrough time.Time) ([]store.PaymentDue, error) {
	if err := requireRole(u, financeReaders...); err != nil {
		return nil, err
	}
	return s.Store.PaymentsDue(ctx, dueThrough)
}
