package letters

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"grantflow/internal/pdftext"
	"grantflow/money"
)

// The organisations, people and addresses below are invented.

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func letterhead() Letterhead {
	return Letterhead{
		Body:    "Office of the Police and Crime Commissioner for Leicestershire (demo)",
		Address: []string{"Example House", "1 Sample Street", "Leicester", "LE0 0AA"},
		Email:   "grants@opcc.example",
		Phone:   "0116 000 0000",
	}
}

func cafe() Recipient {
	return Recipient{
		Organisation: "Café Naïve Ltd",
		Contact:      "Zoë Brontë",
		Address:      []string{"12 Imaginary Road", "Loughborough", "LE00 0ZZ"},
	}
}

func award() AwardLetter {
	return AwardLetter{
		Letterhead: letterhead(),
		Date:       day(2026, time.November, 22),
		Reference:  "GF-2026-0042",
		Recipient:  cafe(),
		Scheme:     "Grassroots Community Fund",
		Amount:     money.Pounds(4250),
		Purpose: "A twelve-month programme of evening cookery and mentoring sessions for young people " +
			"at risk of involvement in serious violence in Loughborough, run with the local youth service.",
		Conditions: []string{
			"The grant must be spent only on the purpose described in this letter.",
			"You must tell us at once of any change that affects the project, including a change of bank details.",
			"Any part of the grant not spent by 31 December 2027 must be returned to us.",
		},
		Payments: []Payment{
			{Due: day(2026, time.December, 1), Amount: money.Pounds(2125), Note: "On acceptance of the offer"},
			{Due: day(2027, time.June, 1), Amount: money.Pounds(2125), Note: "After the six-month update"},
		},
		Monitoring:  []string{"Six-month update due 1 June 2027", "End-of-grant report due 31 August 2027"},
		AcceptBy:    day(2026, time.December, 6),
		HowToAccept: "Please sign in to your Grantflow account, open this offer and choose Accept.",
		Signatory:   "A. Example, Commissioning Officer",
	}
}

func decline() DeclineLetter {
	return DeclineLetter{
		Letterhead:      letterhead(),
		Date:            day(2026, time.November, 22),
		Reference:       "GF-2026-0043",
		Recipient:       cafe(),
		Scheme:          "Grassroots Community Fund",
		AmountRequested: money.Pounds(4900),
		Reasons: []string{
			"The application did not show how the project addresses a Police and Crime Plan priority.",
			"The budget did not explain how the costs of the venue were worked out.",
		},
		Signatory: "A. Example, Commissioning Officer",
	}
}

func notice() FinanceAwardNotice {
	a := award()
	return FinanceAwardNotice{
		Letterhead:      letterhead(),
		Date:            day(2026, time.November, 22),
		NoticeReference: "FN-2026-0007",
		AwardReference:  a.Reference,
		Payee:           a.Recipient,
		Scheme:          a.Scheme,
		Amount:          a.Amount,
		Schedule:        a.Payments,
		CostCentre:      "CC-4410 Community Safety",
		ApprovedBy:      "B. Sample, Head of Commissioning",
	}
}

// text builds a document and reads its text back out of the PDF.
func text(t *testing.T, build func() ([]byte, error)) string {
	t.Helper()
	pdf, err := build()
	if err != nil {
		t.Fatalf("PDF: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("output does not start like a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	s, err := pdftext.Text(pdf)
	if err != nil {
		t.Fatalf("pdftext.Text: %v", err)
	}
	return s
}

func assertContains(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("document text lacks %q\ntext: %s", w, got)
		}
	}
}

func TestAwardLetterReadsAsAnOffer(t *testing.T) {
	got := text(t, award().PDF)
	assertContains(t, got,
		"Office of the Police and Crime Commissioner for Leicestershire (demo)",
		"Our reference GF-2026-0042",
		"Date 22 November 2026",
		"Zoë Brontë Café Naïve Ltd 12 Imaginary Road Loughborough LE00 0ZZ",
		"Dear Zoë Brontë,",
		"Offer of grant: Grassroots Community Fund",
		"I am pleased to offer Café Naïve Ltd a grant of £4,250.00 from the Grassroots Community Fund.",
		"evening cookery and mentoring sessions",
		"1. The grant must be spent only on the purpose described in this letter.",
		"2. You must tell us at once of any change",
		"3. Any part of the grant not spent by 31 December 2027 must be returned to us.",
		"1 1 December 2026 £2,125.00 On acceptance of the offer",
		"2 1 June 2027 £2,125.00 After the six-month update",
		"Total £4,250.00",
		"End-of-grant report due 31 August 2027",
		"choose Accept.",
		"Please accept this offer by 6 December 2026.",
		"the offer will lapse",
		"grants@opcc.example",
		"Yours sincerely,",
		"A. Example Commissioning Officer",
	)
}

func TestDeclineLetterGivesReasonsAndInvitesANewApplication(t *testing.T) {
	got := text(t, decline().PDF)
	assertContains(t, got,
		"Our reference GF-2026-0043",
		"Café Naïve Ltd",
		"Your application to the Grassroots Community Fund",
		"for a grant of £4,900.00",
		"not able to offer Café Naïve Ltd a grant",
		"The reasons for our decision are:",
		"• The application did not show how the project addresses a Police and Crime Plan priority.",
		"• The budget did not explain how the costs of the venue were worked out.",
		"You are welcome to apply again",
		"Yours sincerely,",
	)
	if strings.Contains(got, "Offer of grant") {
		t.Error("decline letter talks about an offer of grant")
	}
}

func TestFinanceNoticeGivesPayeeScheduleAndCostCentre(t *testing.T) {
	got := text(t, notice().PDF)
	assertContains(t, got,
		"Finance award notice",
		"Notice reference FN-2026-0007",
		"Award reference GF-2026-0042",
		"Payee Café Naïve Ltd Contact: Zoë Brontë 12 Imaginary Road",
		"Amount awarded £4,250.00",
		"Cost centre CC-4410 Community Safety",
		"Approved by B. Sample, Head of Commissioning",
		"1 1 December 2026 £2,125.00",
		"2 1 June 2027 £2,125.00",
		"Total £4,250.00",
	)
}

func TestNoContactMeansDearSirOrMadam(t *testing.T) {
	l := award()
	l.Recipient.Contact = ""
	got := text(t, l.PDF)
	assertContains(t, got, "Dear Sir or Madam,", "Yours faithfully,")
}

func TestPaymentWithoutDueDateIsOnAcceptance(t *testing.T) {
	l := award()
	l.Payments = []Payment{{Amount: l.Amount}}
	got := text(t, l.PDF)
	assertContains(t, got, "We will pay the grant in one payment:", "1 On acceptance £4,250.00")
}

func TestSameInputSameBytes(t *testing.T) {
	docs := map[string]func() ([]byte, error){
		"award":   award().PDF,
		"decline": decline().PDF,
		"notice":  notice().PDF,
	}
	for name, build := range docs {
		first, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		second, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two PDFs from the same input differ", name)
		}
		// The file's dates are the letter date, not the time it was written.
		if !bytes.Contains(first, []byte("/CreationDate (D:20261122000000)")) {
			t.Errorf("%s: creation date is not the letter date", name)
		}
	}
}

func TestConcurrentLettersAreIdentical(t *testing.T) {
	// A worker writes letters for several applications at once; each must come out whole.
	want, err := award().PDF()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() { got[i], _ = award().PDF() })
	}
	wg.Wait()
	for i, g := range got {
		if !bytes.Equal(g, want) {
			t.Errorf("letter %d written concurrently differs from one written alone", i)
		}
	}
}

func TestDifferentAmountDifferentBytes(t *testing.T) {
	a := award()
	b := award()
	b.Amount = money.Pounds(4300)
	b.Payments[1].Amount = money.Pounds(2175)
	pa, err := a.PDF()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.PDF()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(pa, pb) {
		t.Fatal("letters for £4,250.00 and £4,300.00 are identical")
	}
	got, err := pdftext.Text(pb)
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, got, "a grant of £4,300.00", "Total £4,300.00")
}

// Names in the languages of the people a commissioner funds read back from the letter exactly as
// given: Welsh, Polish, Irish, Turkish and Vietnamese, and Greek and Cyrillic beside them.
func TestNamesInAnyLanguageReadBackAsGiven(t *testing.T) {
	names := []string{
		"Cymdeithas Gymunedol Ŵyr Łódź",  // Welsh and Polish
		"Zoë Ní Bhriain",                 // Irish
		"Şükrü Öztürk İğdır Dayanışması", // Turkish: dotted and dotless i, ş, ğ
		"Nguyễn Thị Hương Trầm",          // Vietnamese: stacked accents
		"Ŷr Wyddfa Ŵyn Ẁ Ẃ Ẅ Ỳ",          // Welsh w and y with every accent
		"Αθηνά Παπαδοπούλου",             // Greek
		"Иван Петров і Їжак",             // Russian and Ukrainian
		"Brontë Żółć Čapek Ærø Ångström", // more of Latin Extended
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			l := award()
			l.Recipient.Organisation = name
			l.Recipient.Contact = name
			l.Signatory = name + ", Commissioning Officer"
			got := text(t, l.PDF)
			assertContains(t, got, "Dear "+name, name+" a grant of £4,250.00", name+" Commissioning Officer")
		})
	}
}

// What the font cannot show still leaves a sound PDF: an accent Unicode has no single letter for
// is kept as a combining accent, a decomposed letter is composed, and characters of other scripts
// (Chinese, emoji) become "?".
func TestCharactersOutsideTheFontDegradeWithoutBreakingThePDF(t *testing.T) {
	l := award()
	l.Recipient.Organisation = "Ședință 日本 Ltd"
	l.Purpose = "Ages 11–18 → mentoring ≥ 6 months 🙂 " + "e\u0301" + " ⇒ done"
	got := text(t, l.PDF)
	assertContains(t, got, "Ședință ?? Ltd", "Ages 11–18 → mentoring ≥ 6 months ? é => done", "£4,250.00")
}

func TestRunsSplitTextByCodePage(t *testing.T) {
	fonts, err := fontTable()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"Café Naïve £5 €6 “quoted” – — •": "Café Naïve £5 €6 “quoted” – — •",
		"Wałęsa":             "Wałęsa",
		"A\tB\u2009C\u200bD": "A B CD",
		"日本":                 "??",
		"Nguye\u0302\u0303n": "Nguyễn",
	}
	for in, want := range cases {
		if got := fonts.decode(fonts.runs(in)); got != want {
			t.Errorf("runs(%q) reads %q, want %q", in, got, want)
		}
	}
	if l := fonts.runs("Łódź"); len(l) != 3 || l[1].page != 0 || l[0].page == 0 {
		t.Errorf("runs(Łódź) = %v, want Ł on a later page, ód on page 0, then ź", l)
	}
}

// Every character of every code page is drawn by the font and reads back from the PDF as itself,
// in both styles.
func TestEveryCharacterOfTheFontReadsBack(t *testing.T) {
	fonts, err := fontTable()
	if err != nil {
		t.Fatal(err)
	}
	var all []rune
	for p, cp := range fonts.pages {
		for _, c := range cp.chars {
			r := rune(c[1])
			if c[0] < 0x80 || unicode.Is(unicode.Mn, r) || unicode.IsSpace(r) || fonts.where[r].page != uint8(p) ||
				norm.NFC.String(string(r)) != string(r) {
				continue // ASCII is on every page; accents and spaces do not read back alone; Ω (ohm) is composed to Ω
			}
			if cp.regular.widths[c[0]] == 0 || cp.bold.widths[c[0]] == 0 {
				t.Errorf("U+%04X on page %d has no width", r, p)
			}
			all = append(all, r)
		}
	}
	var words []string
	for i := 0; i < len(all); i += 40 {
		words = append(words, string(all[i:min(i+40, len(all))]))
	}
	l := award()
	l.Conditions = words
	got := text(t, l.PDF)
	for i, word := range words {
		if !strings.Contains(got, word) {
			t.Errorf("condition %d does not read back as given: %q", i+1, word)
		}
	}
}

func TestLongDate(t *testing.T) {
	if got := longDate(day(2026, time.November, 2)); got != "2 November 2026" {
		t.Errorf("longDate = %q", got)
	}
}

func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		build func() ([]byte, error)
		field string
	}{
		{"award without reference", func() ([]byte, error) { l := award(); l.Reference = " "; return l.PDF() }, "Reference"},
		{"award without organisation", func() ([]byte, error) { l := award(); l.Recipient.Organisation = ""; return l.PDF() }, "Recipient.Organisation"},
		{"award of nothing", func() ([]byte, error) { l := award(); l.Amount = 0; return l.PDF() }, "Amount"},
		{"award without conditions", func() ([]byte, error) { l := award(); l.Conditions = nil; return l.PDF() }, "Conditions"},
		{"award with a blank condition", func() ([]byte, error) { l := award(); l.Conditions[1] = ""; return l.PDF() }, "Conditions[1]"},
		{"award whose payments do not add up", func() ([]byte, error) { l := award(); l.Payments[1].Amount = money.Pounds(2000); return l.PDF() }, "Payments"},
		{"award without accept-by", func() ([]byte, error) { l := award(); l.AcceptBy = time.Time{}; return l.PDF() }, "AcceptBy"},
		{"award to accept before it was sent", func() ([]byte, error) { l := award(); l.AcceptBy = day(2026, time.November, 1); return l.PDF() }, "AcceptBy"},
		{"award without date", func() ([]byte, error) { l := award(); l.Date = time.Time{}; return l.PDF() }, "Date"},
		{"decline without reasons", func() ([]byte, error) { l := decline(); l.Reasons = nil; return l.PDF() }, "Reasons"},
		{"decline without address", func() ([]byte, error) { l := decline(); l.Recipient.Address = nil; return l.PDF() }, "Recipient.Address"},
		{"notice without cost centre", func() ([]byte, error) { n := notice(); n.CostCentre = ""; return n.PDF() }, "CostCentre"},
		{"notice without award reference", func() ([]byte, error) { n := notice(); n.AwardReference = ""; return n.PDF() }, "AwardReference"},
		{"notice without payee", func() ([]byte, error) { n := notice(); n.Payee.Organisation = ""; return n.PDF() }, "Payee.Organisation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pdf, err := c.build()
			if err == nil {
				t.Fatalf("PDF succeeded (%d bytes), want an error naming %s", len(pdf), c.field)
			}
			if pdf != nil {
				t.Error("PDF returned bytes with the error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			if !slices.Contains(ve.Fields(), c.field) {
				t.Errorf("error names %v, want %s", ve.Fields(), c.field)
			}
			if !strings.Contains(err.Error(), c.field+" ") {
				t.Errorf("message %q does not name %s", err, c.field)
			}
		})
	}
}

func TestValidationListsEveryProblem(t *testing.T) {
	_, err := AwardLetter{}.PDF()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	for _, f := range []string{"Letterhead.Body", "Date", "Reference", "Recipient.Organisation", "Scheme", "Amount", "Signatory"} {
		if !slices.Contains(ve.Fields(), f) {
			t.Errorf("empty letter: error %q does not name %s", err, f)
		}
	}
}

func TestLongLetterBreaksOntoNumberedPages(t *testing.T) {
	l := award()
	for range 12 {
		l.Conditions = append(l.Conditions, "You must keep records of how the grant was spent, "+
			"including receipts and attendance registers, for six years after the end of the grant, "+
			"and let us or our auditors see them on request.")
	}
	got := text(t, l.PDF)
	assertContains(t, got, "15. You must keep records", "A. Example Commissioning Officer")
	pages := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllStringSubmatch(got, -1)
	if len(pages) < 2 {
		t.Fatalf("want at least two numbered pages, found %v", pages)
	}
	for i, p := range pages {
		if p[1] != strconv.Itoa(i+1) || p[2] != strconv.Itoa(len(pages)) {
			t.Errorf("page %d is numbered %q", i+1, p[0])
		}
	}
}

// decode is the text l shows, as a reader sees it.
func (t *fontPages) decode(l line) string {
	var b strings.Builder
	for _, r := range l {
		for i := 0; i < len(r.bytes); i++ {
			for _, c := range t.pages[r.page].chars {
				if c[0] == int(r.bytes[i]) {
					b.WriteRune(rune(c[1]))
					break
				}
			}
		}
	}
	return b.String()
}

// Lines break at spaces; a word too wide for its column breaks after a hyphen (a double-barrelled
// name in a narrow heading reads "Worthington-" over "Smythe"); a word with no hyphen breaks where
// the column ends; a newline always breaks.
func TestWrapBreaksAtSpacesThenHyphens(t *testing.T) {
	fonts, err := fontTable()
	if err != nil {
		t.Fatal(err)
	}
	read := func(lines []line) []string {
		var out []string
		for _, l := range lines {
			out = append(out, fonts.decode(l))
		}
		return out
	}
	width := func(s string) int { return fonts.width(fonts.runs(s), "B") }
	cases := []struct {
		text string
		max  int
		want []string
	}{
		{"Dr Valentina Worthington-Smythe", width("Worthington-Smythe") - 1, []string{"Dr Valentina", "Worthington-", "Smythe"}},
		{"Dr Valentina Worthington-Smythe", width("Worthington-"), []string{"Dr Valentina", "Worthington-", "Smythe"}},
		{"Łódź Łódź", width("Łódź Łódź"), []string{"Łódź Łódź"}},
		{"Łódź Łódź", width("Łódź Łód"), []string{"Łódź", "Łódź"}},
		{"Abcdefgh", width("Abcd"), []string{"Abcd", "efgh"}},
		{"one\ntwo", 100000, []string{"one", "two"}},
		{"W", 1, []string{"W"}},
	}
	for _, c := range cases {
		if got := read(fonts.wrap(c.text, "B", c.max)); !slices.Equal(got, c.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.text, c.max, got, c.want)
		}
	}
}

// BenchmarkAwardLetter writes a two-page award letter to a Welsh organisation (so the extended Latin
// cut of the font is embedded too) as the letters are written, and with its page text compressed
// as longer documents are: go test -bench AwardLetter -benchmem ./letters/
func BenchmarkAwardLetter(b *testing.B) {
	l := award()
	l.Recipient.Organisation = "Cymdeithas Gymunedol Ŵyr Łódź"
	for _, c := range []struct {
		name string
		from int
	}{{"as-written", compressFrom}, {"page-text-compressed", 1}} {
		b.Run(c.name, func(b *testing.B) {
			defer func(was int) { compressFrom = was }(compressFrom)
			compressFrom = c.from
			for b.Loop() {
				if _, err := l.PDF(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The payee bank details notice is the one document with the full sort code and account number.
func TestPayeeBankDetailsNotice(t *testing.T) {
	n := PayeeBankDetailsNotice{Letterhead: letterhead(), Date: day(2026, time.December, 2), AwardReference: "GF-2026-0042", Payee: "Café Naïve Ltd",
		AccountName: "Cafe Naive Ltd", SortCode: "08-99-99", AccountNumber: "66374958", GivenOn: day(2026, time.December, 1),
		HowConfirmed: "Given by the organisation when it accepted the offer"}
	pdf, err := n.PDF()
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdftext.Text(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Finance notice: payee bank details", "GF-2026-0042", "08-99-99", "66374958", "Cafe Naive Ltd", "1 December 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice does not say %q:\n%s", want, text)
		}
	}
	n.AccountNumber = ""
	var verr *ValidationError
	if _, err := n.PDF(); !errors.As(err, &verr) || !slices.Contains(verr.Fields(), "AccountNumber") {
		t.Errorf("a notice without the account number: %v", err)
	}
}
