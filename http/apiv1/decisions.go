package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// The public decision records: every decision above the officer band (an award, or a variation of
// one, by the head of commissioning or the Commissioner) is listed with its numbered record as
// soon as the workflow issues it, which is the activity right after the decision: well within the
// day the publication duty allows. Nobody signs in to read them. They are read from each record's
// content as published (store.PublicDecision), which names offices and roles, never people, and
// the PDF is written from the same content with letters.DecisionRecord, never served from the
// stored document (a record issued before records were anonymous names people in its PDF).

// DecisionSummary is one row of the public decisions list.
type DecisionSummary struct {
	Number    string      `json:"number"`       // PCC/2026/017
	ID        string      `json:"id"`           // PCC-2026-017, as in the addresses
	Date      string      `json:"date"`         // of the decision, in London: 2026-02-24
	Recipient string      `json:"recipient"`    // the organisation (an unincorporated group by its name only)
	Scheme    string      `json:"scheme"`       // its name
	Reference string      `json:"reference"`    // the award's reference
	Amount    money.Pence `json:"amount_pence"` // the whole-life total the decision sets
	Decision  string      `json:"decision"`     // "award" or "variation"
	Office    string      `json:"office"`       // the office that decided
	Band      string      `json:"band"`         // the delegation band it decided under
	Page      string      `json:"page"`         // /decisions/PCC-2026-017
	PDF       string      `json:"pdf"`          // /decisions/PCC-2026-017.pdf
}

// DecisionYear is one financial year of the decisions' amounts per year.
type DecisionYear struct {
	FinancialYear string      `json:"financial_year"` // "2026-27"
	Amount        money.Pence `json:"amount_pence"`
}

// DecisionDetail is a published decision record.
type DecisionDetail struct {
	DecisionSummary
	Title         string         `json:"title"`
	RecipientID   string         `json:"recipient_id"` // GB-CHC-…, GB-COH-…, or "" for a group without a number
	Statement     string         `json:"statement"`    // what was decided, in one sentence, as the record prints it
	Variation     string         `json:"variation"`    // what a variation changed; "" for an award
	Years         []DecisionYear `json:"years"`
	Purpose       string         `json:"purpose"`
	Conditions    []string       `json:"conditions"`
	Reasons       []string       `json:"reasons"`
	RulesVersion  int            `json:"rules_version"`
	RecommendedBy string         `json:"recommended_by"` // by role; "" when no panel recommended it
	Declarations  []string       `json:"declarations"`   // by role: "An assessor declared an interest and took no part."
}

// DecisionNumberID is how a record's number appears in addresses: PCC/2026/017 is PCC-2026-017.
func DecisionNumberID(number string) string { return strings.ReplaceAll(number, "/", "-") }

// decisionNumber reads an address's PCC-2026-017 back as PCC/2026/017: the last two parts are the
// year and the sequence (a prefix may itself hold hyphens). ok is false for anything else.
func decisionNumber(id string) (string, bool) {
	i := strings.LastIndex(id, "-")
	if i <= 0 {
		return "", false
	}
	j := strings.LastIndex(id[:i], "-")
	if j <= 0 {
		return "", false
	}
	year, seq := id[j+1:i], id[i+1:]
	if _, err := strconv.Atoi(year); err != nil || len(year) != 4 {
		return "", false
	}
	if n, err := strconv.Atoi(seq); err != nil || n < 1 {
		return "", false
	}
	return id[:j] + "/" + year + "/" + seq, true
}

// financialYearReason is why a financial_year filter was refused, as the field's error says it.
const financialYearReason = "must be a financial year such as 2026 or 2026-27 (1 April 2026 to 31 March 2027)"

// ParseFinancialYear reads a financial_year filter: "2026" or "2026-27" for the year from 1 April
// 2026; "" is every year. The error is the reason, to show against the field.
func ParseFinancialYear(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	start, end, dashed := strings.Cut(v, "-")
	fy, err := strconv.Atoi(start)
	if err != nil || len(start) != 4 || fy < 2000 || fy > 2100 || (dashed && end != fmt.Sprintf("%02d", (fy+1)%100)) {
		return 0, errors.New(financialYearReason)
	}
	return fy, nil
}

func decisionSummary(d store.PublicDecision) DecisionSummary {
	id := DecisionNumberID(d.Number)
	kind := "award"
	if d.Variation != "" {
		kind = "variation"
	}
	return DecisionSummary{Number: d.Number, ID: id, Date: d.DecidedAt.In(scheme.London).Format(time.DateOnly), Recipient: d.Recipient,
		Scheme: d.Scheme, Reference: d.Reference, Amount: d.Total, Decision: kind, Office: d.Office, Band: d.Band,
		Page: "/decisions/" + id, PDF: "/decisions/" + id + ".pdf"}
}

// PublicDecisions lists the published decision records, newest first, of one financial year (0: all).
func (s *Server) PublicDecisions(ctx context.Context, financialYear int) ([]DecisionSummary, error) {
	list, err := s.Store.PublicDecisions(ctx, store.DecisionFilter{FinancialYear: financialYear})
	if err != nil {
		return nil, err
	}
	out := make([]DecisionSummary, len(list))
	for i, d := range list {
		out[i] = decisionSummary(d)
	}
	return out, nil
}

// PublicDecision reads one published record by its address id (PCC-2026-017), with the record as
// letters.DecisionRecord under this office's letterhead, from which its PDF is written. A 404
// httperr for anything not published.
func (s *Server) PublicDecision(ctx context.Context, id string) (DecisionDetail, letters.DecisionRecord, error) {
	number, ok := decisionNumber(id)
	if !ok {
		return DecisionDetail{}, letters.DecisionRecord{}, httperr.NotFound("decision record")
	}
	d, err := s.Store.PublicDecisionRecord(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return DecisionDetail{}, letters.DecisionRecord{}, httperr.NotFound("decision record")
	}
	if err != nil {
		return DecisionDetail{}, letters.DecisionRecord{}, err
	}
	var r letters.DecisionRecord
	if err := json.Unmarshal(d.Content, &r); err != nil {
		return DecisionDetail{}, letters.DecisionRecord{}, fmt.Errorf("decision record %s: its content: %w", number, err)
	}
	r.Letterhead = s.Letterhead
	out := DecisionDetail{DecisionSummary: decisionSummary(d), Title: r.Title, RecipientID: r.RecipientID, Statement: r.Decision(),
		Variation: r.Variation, Purpose: r.Purpose, Conditions: nonNil(r.Conditions), Reasons: nonNil(r.Reasons), RulesVersion: r.RulesVersion,
		RecommendedBy: r.RecommendedBy, Years: []DecisionYear{}, Declarations: []string{}}
	for _, y := range r.Years {
		out.Years = append(out.Years, DecisionYear{FinancialYear: y.Label, Amount: y.Amount})
	}
	for _, dec := range r.Declarations {
		out.Declarations = append(out.Declarations, dec.Text())
	}
	return out, r, nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// DecisionPDF writes a published record's PDF, from its content; the filename is for a download.
func (s *Server) DecisionPDF(ctx context.Context, id string) ([]byte, string, error) {
	_, r, err := s.PublicDecision(ctx, id)
	if err != nil {
		return nil, "", err
	}
	pdf, err := r.PDF()
	if err != nil {
		return nil, "", fmt.Errorf("decision record %s: %w", r.Number, err)
	}
	return pdf, "decision-record-" + DecisionNumberID(r.Number) + ".pdf", nil
}

// ServePDF sends a PDF as a download, its filename quoted as RFC 6266 asks.
func ServePDF(c *gin.Context, filename string, pdf []byte) {
	c.Header("Content-Disposition", headers.Attachment(filename))
	c.Data(http.StatusOK, "application/pdf", pdf)
}

func (s *Server) listDecisions(c *gin.Context) {
	fy, err := ParseFinancialYear(c.Query("financial_year"))
	if err != nil {
		s.fail(c, httperr.Field("financial_year", err.Error()))
		return
	}
	list, err := s.PublicDecisions(c.Request.Context(), fy)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"decisions": list})
}

func (s *Server) getDecision(c *gin.Context) {
	d, _, err := s.PublicDecision(c.Request.Context(), c.Param("number"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
