package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Finance's pages: what is due to be paid this week (and what is late), the tranches held back,
// the notices received, and the form that records a payment. Everything is read through the
// API's FinanceWork and every payment goes through the API's RecordPayment, so the pages apply
// the same rules as GET /finance/notices and POST /applications/{id}/payments.

// financeWeek is Monday to Sunday in London: the finance team's working week.
type financeWeek struct {
	Monday time.Time // 00:00 on Monday in London
	Sunday time.Time // 00:00 on Sunday in London: the last day due payments are listed for
}

func financeWeekOf(t time.Time) financeWeek {
	l := t.In(scheme.London)
	back := (int(l.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, scheme.London)
	return financeWeek{Monday: monday, Sunday: monday.AddDate(0, 0, 6)}
}

// holds reports whether the instant falls in the week.
func (w financeWeek) holds(t time.Time) bool {
	return !t.Before(w.Monday) && t.Before(w.Monday.AddDate(0, 0, 7))
}

// before reports whether a date (a store date, midnight UTC) is earlier than the week's Monday.
// ISO dates compare as text.
func (w financeWeek) before(date time.Time) bool {
	return date.Format(time.DateOnly) < w.Monday.Format(time.DateOnly)
}

// financeWorkPage is what finance.html shows.
type financeWorkPage struct {
	Week            string
	Done            string
	RecordsPayments bool
	SignOff         signOffSection // the two-person steps, for finance
	Search          string         // what the payments due, held tranches and repayments are narrowed to
	SearchBox       searchBox
	Due             []paymentDueRow
	DuePages        pagination
	Held            []heldTrancheRow
	HeldPages       pagination
	Notices         []financeNoticeRow
	NewNotices      int // on this page of notices
	NoticePages     pagination
	Recoveries      []recoveryDueRow
	RecoveryPages   pagination
}

// Each of the finance page's lists is read a page at a time, with its own links.
var (
	financeNoticePager   = pager{Prefix: "notices-", Anchor: "notices"}
	financeDuePager      = pager{Prefix: "due-", Anchor: "due"}
	financeHeldPager     = pager{Prefix: "held-", Anchor: "held"}
	financeRecoveryPager = pager{Prefix: "repayments-", Anchor: "repayments"}
)

// financeSearchField is the finance page's search: part of an award reference, an
// organisation's name or a project's title.
const financeSearchField = "q"

// recoveryDueRow is an underspend awaiting repayment; its form is on the application's page.
type recoveryDueRow struct {
	ApplicationID                        int64
	AwardRef, Organisation, Title        string
	Reference, Owed, Repaid, Outstanding string
	Due                                  string
	Overdue                              bool
}

// paymentDueRow is one payment due, with its form's field names (unique per row, so that the error
// summary can link to the right one).
type paymentDueRow struct {
	ApplicationID  int64
	Tranche        int
	Key            string // "<application>-<tranche>"
	AwardRef       string
	Organisation   string
	Title          string
	Agreement      string // the agreement's dates, where the award has them
	What           string
	Amount         money.Pence
	Due            string
	Overdue        bool
	ChangeHeld     bool // the payee's change of bank details awaits finance's call-back
	NoticeID       int64
	AmountField    string
	PaidOnField    string
	ReferenceField string
}

type heldTrancheRow struct {
	ApplicationID int64
	AwardRef      string
	Organisation  string
	Agreement     string
	What          string
	Amount        money.Pence
	Due           string
	Why           string
}

type financeNoticeRow struct {
	ApplicationID int64
	DocumentID    int64
	Received      string
	Kind          string
	Reference     string
	AwardRef      string
	Agreement     string
	Payee         string
	Amount        money.Pence
	ThisWeek      bool
}

// paymentFieldNames are the names of one row's fields: amount-12-0, paid-on-12-0(-day…), reference-12-0.
type paymentFieldNames struct{ amount, paidOn, reference string }

func paymentFieldNamesFor(appID int64, tranche int) paymentFieldNames {
	key := fmt.Sprintf("%d-%d", appID, tranche)
	return paymentFieldNames{amount: "amount-" + key, paidOn: "paid-on-" + key, reference: "reference-" + key}
}

// paymentWhat names a payment: the grant, or a tranche and its quarter.
func paymentWhat(tranche, fy, quarter int) string {
	if tranche == 0 {
		return "One-off grant"
	}
	return fmt.Sprintf("Tranche %d (%s)", tranche, workflows.Quarter{FY: fy, Q: quarter}.Label())
}

func financeDate(t time.Time) string { return t.Format("2 January 2006") }

// agreementOf says when an application's award agreement runs, as far as its dates are known:
// "6 December 2026 to 31 March 2029"; "" for an award with neither (a one-off grant).
func agreementOf(work apiv1.FinanceWork, applicationID int64) string {
	start, hasStart := work.AgreementStarts[applicationID]
	end, hasEnd := work.AgreementEnds[applicationID]
	switch {
	case hasStart && hasEnd:
		return financeDate(start) + " to " + financeDate(end)
	case hasStart:
		return "From " + financeDate(start)
	case hasEnd:
		return "Until " + financeDate(end)
	}
	return ""
}

// financeWork reads finance's work for this week, answering with the refusal or sorry page (and
// false) when it cannot.
func (s *Server) financeWork(c *gin.Context) (apiv1.FinanceWork, financeWeek, bool) {
	u, _ := currentUser(c)
	wk := financeWeekOf(s.now())
	q := c.Request.URL.Query()
	pages := apiv1.FinancePages{Notices: financeNoticePager.request(q, store.DefaultPageSize), Due: financeDuePager.request(q, store.DefaultPageSize),
		Held: financeHeldPager.request(q, store.DefaultPageSize), Recoveries: financeRecoveryPager.request(q, store.DefaultPageSize),
		Search: searchText(q.Get(financeSearchField))}
	work, err := s.opts.API.FinanceWork(c.Request.Context(), u, wk.Sunday, pages)
	if errors.Is(err, store.ErrBadCursor) { // a hand-edited address: every list from its first page
		pages.Notices, pages.Due, pages.Held, pages.Recoveries = store.PageRequest{}, store.PageRequest{}, store.PageRequest{}, store.PageRequest{}
		work, err = s.opts.API.FinanceWork(c.Request.Context(), u, wk.Sunday, pages)
	}
	if err != nil {
		if httperr.From(err).Status == http.StatusForbidden {
			s.notAllowed(c, "This page is not available to your account")
		} else {
			s.serverError(c, err)
		}
		return apiv1.FinanceWork{}, wk, false
	}
	return work, wk, true
}

func financeWorkPageOf(work apiv1.FinanceWork, wk financeWeek) financeWorkPage {
	v := financeWorkPage{Week: wk.Monday.Format("Monday 2 January 2006") + " to " + wk.Sunday.Format("Monday 2 January 2006"), RecordsPayments: work.RecordsPayments}
	for _, d := range work.Due {
		f := paymentFieldNamesFor(d.ApplicationID, d.Tranche)
		r := paymentDueRow{ApplicationID: d.ApplicationID, Tranche: d.Tranche, Key: fmt.Sprintf("%d-%d", d.ApplicationID, d.Tranche),
			AwardRef: d.AwardRef, Organisation: d.Organisation, Title: d.Title, Agreement: agreementOf(work, d.ApplicationID), What: paymentWhat(d.Tranche, d.FinancialYear, d.Quarter),
			Amount: d.Amount, Due: financeDate(d.DueOn), Overdue: wk.before(d.DueOn), ChangeHeld: work.BankChangeHeld[d.ApplicationID],
			AmountField: f.amount, PaidOnField: f.paidOn, ReferenceField: f.reference}
		if d.NoticeDocumentID != nil {
			r.NoticeID = *d.NoticeDocumentID
		}
		v.Due = append(v.Due, r)
	}
	for _, h := range work.Held {
		why := "Awaiting an accepted monitoring return."
		if h.Reason != "" {
			why = "Held because " + h.Reason + "."
		}
		v.Held = append(v.Held, heldTrancheRow{ApplicationID: h.ApplicationID, AwardRef: h.AwardRef, Organisation: h.Organisation, Agreement: agreementOf(work, h.ApplicationID),
			What: paymentWhat(h.Tranche, h.FinancialYear, h.Quarter), Amount: h.Amount, Due: financeDate(h.DueOn), Why: why})
	}
	for _, r := range work.Recoveries {
		v.Recoveries = append(v.Recoveries, recoveryDueRow{ApplicationID: r.ApplicationID, AwardRef: r.AwardRef, Organisation: r.Organisation,
			Title: r.Title, Reference: r.Reference, Owed: r.Owed.String(), Repaid: r.Repaid.String(), Outstanding: r.Outstanding().String(),
			Due: financeDate(r.DueOn), Overdue: wk.before(r.DueOn)})
	}
	for _, n := range work.Notices {
		r := financeNoticeRow{ApplicationID: n.ApplicationID, DocumentID: n.DocumentID, Received: financeDate(n.CreatedAt.In(scheme.London)), Kind: noticeKind(n),
			Reference: n.Reference, AwardRef: n.AwardRef, Agreement: agreementOf(work, n.ApplicationID), Payee: n.Payee, Amount: n.Amount, ThisWeek: wk.holds(n.CreatedAt)}
		if r.ThisWeek {
			v.NewNotices++
		}
		v.Notices = append(v.Notices, r)
	}
	return v
}

// financeWorkPageFor is the page for the person signed in: finance also get the two-person steps
// and the payments left out of the payment file.
func (s *Server) financeWorkPageFor(c *gin.Context, work apiv1.FinanceWork, wk financeWeek) financeWorkPage {
	v := financeWorkPageOf(work, wk)
	q := c.Request.URL.Query()
	v.Search = searchText(q.Get(financeSearchField))
	v.SearchBox = newSearchBox("/finance", financeSearchField, "Search payments due, held tranches and repayments",
		"Part of an award reference, an organisation's name or a project's title", q)
	v.NoticePages = financeNoticePager.links("Pages of notices received", "/finance", q, work.NoticePages)
	v.DuePages = financeDuePager.links("Pages of payments due", "/finance", q, work.DuePages)
	v.HeldPages = financeHeldPager.links("Pages of held tranches", "/finance", q, work.HeldPages)
	v.RecoveryPages = financeRecoveryPager.links("Pages of repayments due", "/finance", q, work.RecoveryPages)
	u, _ := currentUser(c)
	if v.RecordsPayments {
		var file *apiv1.PaymentFile
		if f, err := s.opts.API.PaymentFile(c.Request.Context(), u); err == nil {
			file = &f
		}
		v.SignOff = signOffSectionOf(work, file, u)
	}
	return v
}

// noticeKind names a kind of finance notice for people.
func noticeKind(n store.FinanceNotice) string {
	switch n.Kind {
	case store.NoticePayment:
		return fmt.Sprintf("Payment notice, tranche %d", n.Seq)
	case store.NoticeVariation:
		return fmt.Sprintf("Revised award notice: varied (version %d), was %s", n.Seq, n.PreviousAmount)
	case store.NoticeTermination:
		return fmt.Sprintf("Revised award notice: ended early, was %s", n.PreviousAmount)
	case store.NoticeRecovery:
		return "Recovery notice: underspend to collect"
	}
	return "Award notice"
}

// form is the page's form: each payment's amount filled in, then whatever was sent (with its
// problems) over it, so nothing typed is lost.
func (v financeWorkPage) form(sent *form) *form {
	f := &form{values: url.Values{}}
	for _, r := range v.Due {
		f.values.Set(r.AmountField, strings.TrimPrefix(r.Amount.String(), "£"))
	}
	if sent != nil {
		for k, list := range sent.values {
			f.values[k] = list
		}
		f.errors = sent.errors
	}
	return f
}

// financePage (GET /finance) is finance's week: payments due, tranches held, notices received.
func (s *Server) financePage(c *gin.Context) {
	work, wk, ok := s.financeWork(c)
	if !ok {
		return
	}
	v := s.financeWorkPageFor(c, work, wk)
	v.Done = doneMessages[c.Query("done")]
	f, status := v.form(nil), http.StatusOK
	if v.SearchBox.Error != "" {
		f.add(financeSearchField, v.SearchBox.Error)
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "finance", page{Title: "Payments and notices", Nav: "finance", Form: f, Data: v})
}

// Labels of the payment form's fields, as messages name them.
const (
	labelAmountPaid = "Amount paid"
	labelPaidOn     = "The date the payment was made"
	labelReference  = "Payment reference"
)

// recordPayment (POST /applications/:id/payments) records a payment through the API; the
// workflow decides whether this person may, and whether the amount is the one due.
func (s *Server) recordPayment(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	f := readForm(c)
	tranche, err := strconv.Atoi(f.Value("tranche")) // a hidden field: 0 for a one-off grant
	if err != nil || tranche < 0 {
		s.paymentNotRecorded(c, http.StatusUnprocessableEntity, "The form did not say which payment this is: record it from the list of payments due.")
		return
	}
	names := paymentFieldNamesFor(id, tranche)
	req := apiv1.PaymentRequest{Tranche: tranche, Amount: moneyReceived(f, names.amount, "the amount paid", labelAmountPaid), Reference: f.Value(names.reference)}
	if paidOn, ok := f.date(names.paidOn, "the date the payment was made"); ok {
		req.PaidOn = paidOn.Format(time.DateOnly)
	}
	if !f.noNUL(map[string]string{names.reference: labelReference}, names.reference) && req.Reference == "" {
		f.add(names.reference, "Enter the payment reference")
	}
	if f.invalid() {
		s.paymentInvalid(c, id, tranche, f)
		return
	}
	u, _ := currentUser(c)
	_, err = s.opts.API.RecordPayment(c.Request.Context(), u, id, req)
	if err == nil && f.Value("return") == "finance" { // a fixed path, never one taken from the form
		c.Redirect(http.StatusSeeOther, "/finance?done=paid")
		return
	}
	rules := []fieldRule{on("amount_pence", names.amount, labelAmountPaid).missing("Enter the amount paid"),
		onDate("paid_on", names.paidOn, labelPaidOn).missing("Enter the date the payment was made"),
		on("reference", names.reference, labelReference).missing("Enter the payment reference")}
	s.afterStep(c, id, err, "paid", func(he *httperr.Error) bool {
		if f.refused(he, rules) {
			s.paymentInvalid(c, id, tranche, f)
		} else { // about no field of the form: the tranche, say ("tranche 2 is already paid")
			s.paymentNotRecorded(c, he.Status, refusalLines(he)...)
		}
		return true
	})
}

// moneyReceived reads an amount of money that has changed hands (a payment, a repayment): it must
// be there, in pounds and pence, and more than nothing. what names it in a sentence ("the amount
// paid"), label at the start of one ("Amount paid").
func moneyReceived(f *form, name, what, label string) money.Pence {
	v := f.Value(name)
	p, err := money.Parse(v)
	switch {
	case v == "":
		f.add(name, "Enter "+what)
	case err != nil:
		f.add(name, "Enter "+what+" in pounds and pence, like 4,250.00")
	case p <= 0:
		f.add(name, label+" must be more than £0.00")
	default:
		return p
	}
	return 0
}

// paymentInvalid shows the finance page again with the problems linked to the payment's fields
// and everything typed kept. A payment no longer on the page (paid meanwhile, say), or a person
// whose page has no payment forms, gets the problems on a page of their own.
func (s *Server) paymentInvalid(c *gin.Context, appID int64, tranche int, f *form) {
	work, wk, ok := s.financeWork(c)
	if !ok {
		return
	}
	v := s.financeWorkPageFor(c, work, wk)
	listed := false
	for _, r := range v.Due {
		listed = listed || (r.ApplicationID == appID && r.Tranche == tranche)
	}
	if !listed || !v.RecordsPayments {
		var lines []string
		for _, e := range f.Errors() {
			lines = append(lines, e.Message+".")
		}
		s.paymentNotRecorded(c, http.StatusUnprocessableEntity, lines...)
		return
	}
	s.render(c, http.StatusUnprocessableEntity, "finance", page{Title: "Payments and notices", Nav: "finance", Form: v.form(f), Data: v})
}

// paymentNotRecorded is the page for a payment that could not be recorded, saying why.
func (s *Server) paymentNotRecorded(c *gin.Context, status int, lines ...string) {
	s.render(c, status, "error", page{Title: "The payment could not be recorded", Data: errorPage{
		Heading: "The payment could not be recorded", Lines: append(lines, "Nothing has been changed."),
		Link: "Go back to payments and notices", LinkTo: "/finance",
	}})
}

// paymentsDueCSV (GET /finance/payments-due.csv) is the page's payments due as a spreadsheet, in
// UTF-8 with a byte order mark and every cell guarded against running as a formula.
func (s *Server) paymentsDueCSV(c *gin.Context) {
	u, _ := currentUser(c)
	wk := financeWeekOf(s.now())
	due, err := s.opts.API.PaymentsDue(c.Request.Context(), u, wk.Sunday)
	if err != nil {
		if httperr.From(err).Status == http.StatusForbidden {
			s.notAllowed(c, "This page is not available to your account")
		} else {
			s.serverError(c, err)
		}
		return
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // a byte order mark, so that Excel reads the names as UTF-8
	w := csv.NewWriter(&buf)
	w.Write([]string{"Due date", "Overdue", "Award reference", "Payee", "Project", "Payment", "Tranche", "Amount (GBP)", "Application"})
	for _, d := range due {
		overdue, tranche := "no", ""
		if wk.before(d.DueOn) {
			overdue = "yes"
		}
		if d.Tranche > 0 {
			tranche = strconv.Itoa(d.Tranche)
		}
		w.Write(csvSafe(d.DueOn.Format(time.DateOnly), overdue, d.AwardRef, d.Organisation, d.Title, paymentWhat(d.Tranche, d.FinancialYear, d.Quarter),
			tranche, csvPounds(d.Amount), strconv.FormatInt(d.ApplicationID, 10)))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.serverError(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment("payments-due-"+s.now().In(scheme.London).Format(time.DateOnly)+".csv"))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvPounds writes an amount as a spreadsheet reads it: 4250.00.
func csvPounds(p money.Pence) string { return fmt.Sprintf("%d.%02d", p/100, p%100) }

// csvSafe stops a spreadsheet taking text for a formula (publication.SafeCell): organisations name
// themselves, and a name like "=HYPERLINK(…)" must stay a name.
func csvSafe(cells ...string) []string {
	for i, v := range cells {
		cells[i] = publication.SafeCell(v)
	}
	return cells
}
