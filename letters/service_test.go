package letters

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// assertNamesField checks that a document was refused with a *ValidationError naming field.
func assertNamesField(t *testing.T, pdf []byte, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("PDF succeeded (%d bytes), want an error naming %s", len(pdf), field)
	}
	if pdf != nil {
		t.Error("PDF returned bytes with the error")
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	if !slices.Contains(ve.Fields(), field) {
		t.Errorf("error names %v, want %s (%v)", ve.Fields(), field, err)
	}
	if !strings.Contains(err.Error(), field+" ") {
		t.Errorf("message %q does not name %s", err, field)
	}
}

// TestWriteSamples writes every commissioned-service document into the folder named by
// GRANTFLOW_LETTER_SAMPLES, to look at (pdftoppm -png -r 60 agreement.pdf agreement); without it
// the test is skipped.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("GRANTFLOW_LETTER_SAMPLES")
	if dir == "" {
		t.Skip("set GRANTFLOW_LETTER_SAMPLES to a folder to write sample documents into")
	}
	long := agreement()
	long.Recipient.Organisation = "The Leicester, Leicestershire and Rutland Domestic and Sexual Abuse " +
		"Survivors' Consortium of Community Interest Companies and Registered Charities (Demo) Limited"
	long.Years = serviceYears(5, long.Years[0].Amount)
	long.Total = sumYears(long.Years)
	long.Tranches, long.Returns = quarterly(long.Years)
	for i := range long.Indicators {
		long.Indicators[i].Targets = targets(5, long.Indicators[i].Targets[:4]...)
	}
	wide := pack()
	wide.Organisation = long.Recipient.Organisation
	for _, name := range []string{"U. Fourth", "Dr Valentina Worthington-Smythe", "W. Sixth"} {
		wide.Scores = append(wide.Scores, scores(name, 100, 5, 5, 5, 5, 5))
	}
	longNotice := paymentNotice()
	longNotice.Payee.Organisation = long.Recipient.Organisation
	longRecord := record()
	longRecord.Recipient = long.Recipient.Organisation
	docs := map[string]func() ([]byte, error){
		"decision-pack-wide":   wide.PDF,
		"payment-notice-long":  longNotice.PDF,
		"decision-record-long": longRecord.PDF,
		"agreement":            agreement().PDF,
		"agreement-varied":     variedAgreement().PDF,
		"agreement-5years":     long.PDF,
		"decision-pack":        pack().PDF,
		"decision-record":      record().PDF,
		"payment-notice":       paymentNotice().PDF,
	}
	for name, build := range docs {
		pdf, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
