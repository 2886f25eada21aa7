package apiv1

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/headers"
	"grantflow/payfile"
	"grantflow/scheme"
	"grantflow/store"
)

// The payment file: every approved, unpaid payment with the payee's confirmed bank details, in the
// bureau's CSV layout (package payfile). A payee without confirmed details, or with a change of
// details awaiting finance's call-back, is left out and named with the reason, so nothing is paid
// to an account nobody has confirmed.

// Reasons a payment is left out of the payment file.
const (
	ExcludedNoBankDetails = "no confirmed bank details"
	ExcludedChangeHeld    = "bank details change awaiting call-back"
)

// ExcludedPayment is an approved payment left out of the file, and why.
type ExcludedPayment struct {
	Payment store.PaymentDue
	Reason  string
}

// PaymentFile is the file's payments (in the file's order) and those left out of it.
type PaymentFile struct {
	Included []store.PaymentDue
	Lines    []payfile.Line
	Excluded []ExcludedPayment
}

// CSV writes the file.
func (f PaymentFile) CSV() ([]byte, error) {
	var buf bytes.Buffer
	err := payfile.Write(&buf, f.Lines)
	return buf.Bytes(), err
}

// everDue is the date through which every payment is read for the file: an approved payment is in
// it whenever it fell due.
var everDue = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)

// PaymentFile reads the payment file. Only finance sees it: it carries full account numbers.
func (s *Server) PaymentFile(ctx context.Context, u store.User) (PaymentFile, error) {
	if err := requireRole(u, scheme.RoleFinance); err != nil {
		return PaymentFile{}, err
	}
	due, err := s.Store.PaymentsDue(ctx, everDue)
	if err != nil {
		return PaymentFile{}, err
	}
	f := PaymentFile{}
	for _, d := range due {
		if !d.Approved() {
			continue
		}
		bank, err := s.Store.PayeeBankDetails(ctx, d.ApplicationID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			f.Excluded = append(f.Excluded, ExcludedPayment{Payment: d, Reason: ExcludedNoBankDetails})
			continue
		case err != nil:
			return PaymentFile{}, err
		case bank.ChangeHeld:
			f.Excluded = append(f.Excluded, ExcludedPayment{Payment: d, Reason: ExcludedChangeHeld})
			continue
		case !bank.Payable():
			f.Excluded = append(f.Excluded, ExcludedPayment{Payment: d, Reason: ExcludedNoBankDetails})
			continue
		}
		f.Included = append(f.Included, d)
		f.Lines = append(f.Lines, payfile.Line{SortCode: bank.SortCode, AccountNumber: bank.AccountNumber, AccountName: bank.AccountName,
			Amount: d.Amount, Reference: d.AwardRef})
	}
	return f, nil
}

// paymentFileCSV (GET /payments/file.csv) serves the payment file.
func (s *Server) paymentFileCSV(c *gin.Context) {
	f, err := s.PaymentFile(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := f.CSV()
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(PaymentFileName(s.now())))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", body)
}

// PaymentFileName names the file by the London day it was made.
func PaymentFileName(now time.Time) string {
	return "payment-file-" + now.In(scheme.London).Format(time.DateOnly) + ".csv"
}
