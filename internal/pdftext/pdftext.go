// Package pdftext reads the words back out of a PDF, so tests can check what a reader of a letter
// would see.
//
// It uses github.com/ledongthuc/pdf, a pure-Go reader that inflates compressed content streams and
// decodes the WinAnsiEncoding of the core fonts the letters use, so "£" and "é" come back as
// themselves. It is meant for the documents Grantflow writes, not for arbitrary PDFs.
package pdftext

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// Text returns the text shown on every page, in the order it is drawn, with every run of white
// space (including line breaks between separately drawn lines or table cells) turned into one
// space. A phrase that wraps onto the next line therefore still reads as one phrase, and a table
// row reads as its cells in order: "1 1 December 2026 £2,125.00".
func Text(doc []byte) (text string, err error) {
	// The reader panics on some malformed input; report that as an error instead.
	defer func() {
		if p := recover(); p != nil {
			text, err = "", fmt.Errorf("read PDF: %v", p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return "", fmt.Errorf("read PDF: %w", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		return "", fmt.Errorf("extract PDF text: %w", err)
	}
	raw, err := io.ReadAll(plain)
	if err != nil {
		return "", fmt.Errorf("extract PDF text: %w", err)
	}
	return strings.Join(strings.Fields(string(raw)), " "), nil
}
