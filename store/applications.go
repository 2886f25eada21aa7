package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/money"
)

// Application is the read model of one application: what lists and pages show.
type Application struct {
	ID               int64          `db:"id" json:"id"`
	OrganisationID   int64          `db:"organisation_id" json:"organisation_id"`
	Organisation     string         `db:"organisation_name" json:"organisation"`
	SchemeID         int64          `db:"scheme_id" json:"scheme_id"`
	Scheme           string         `db:"scheme_name" json:"scheme"`
	RoundID          int64          `db:"round_id" json:"round_id"`
	CreatedBy        int64          `db:"created_by" json:"created_by"`
	Title            string         `db:"title" json:"title"`
	Purpose          string         `db:"purpose" json:"purpose"`
	AmountRequested  money.Pence    `db:"amount_requested_pence" json:"amount_requested_pence"`
	ProjectStart     sql.NullTime   `db:"project_start" json:"-"`
	ProjectEnd       sql.NullTime   `db:"project_end" json:"-"`
	Areas            pq.StringArray `db:"areas" json:"areas"`
	Priorities       pq.StringArray `db:"priorities" json:"priorities"`
	Wards            pq.StringArray `db:"wards" json:"wards"` // as the scheme lists them ("Leicester: Abbey"): the grassroots ward question's answer, or a service's wards
	Status           string         `db:"status" json:"status"`
	ReportOverdue    bool           `db:"report_overdue" json:"report_overdue"`
	WeightedScore    *float64       `db:"weighted_score" json:"weighted_score,omitempty"`
	CaseOfficerID    *int64         `db:"case_officer_id" json:"-"`         // the officer who looks after it; nil until assigned
	CaseOfficerSince *time.Time     `db:"case_officer_since" json:"-"`      // when they took it on (assigned, or first to act)
	CaseOfficer      *string        `db:"case_officer_name" json:"-"`       // their name
	CaseOfficerAway  *time.Time     `db:"case_officer_away_until" json:"-"` // the last day they are away (a date), if they said
	WorkflowID       sql.NullString `db:"workflow_id" json:"-"`
	ServiceJSON      []byte         `db:"service" json:"-"`         // grant.ServiceDetails for service schemes; nil otherwise
	RulesJSON        []byte         `db:"submitted_rules" json:"-"` // see Application.SubmittedRules
	AnswersJSON      []byte         `db:"answers" json:"-"`         // questions.Answers beyond the columns above
	SubmittedAt      *time.Time     `db:"submitted_at" json:"submitted_at,omitempty"`
	DraftLockedAt    *time.Time     `db:"draft_locked_at" json:"draft_locked_at,omitempty"` // its round's grace period ended before it was submitted
	SearchText       sql.NullString `db:"search_text" json:"-"`                             // what the search reads, kept by triggers (migration 00036)
	CreatedAt        time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at" json:"updated_at"`
}

// Draft is what an applicant fills in before submitting.
type Draft struct {
	SchemeID        int64
	RoundID         int64
	Title           string
	Purpose         string
	AmountRequested money.Pence
	ProjectStart    *time.Time
	ProjectEnd      *time.Time
	Areas           []string
	Priorities      []string
	Answers         []byte // questions.Answers as JSON; nil keeps the answers saved (a new draft has none)
	// Wards are the wards named (the answer of the form's ward question); nil keeps those saved,
	// as it does the answers they come from. A service's wards are saved with its details.
	Wards []string
}

const applicationColumns = `a.*, o.name AS organisation_name, s.name AS scheme_name, co.name AS case_officer_name, co.away_until AS case_officer_away_until`
const applicationFrom = ` FROM applications a JOIN organisations o ON o.id = a.organisation_id JOIN schemes s ON s.id = a.scheme_id
	LEFT JOIN users co ON co.id = a.case_officer_id`

// CreateDraft saves a new draft for an organisation, or refuses it with a *QuotaError when the
// organisation already has its quota of drafts.
func (s *Store) CreateDraft(ctx context.Context, orgID, userID int64, d Draft) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkDraftQuota(ctx, tx, orgID); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx, `INSERT INTO applications (organisation_id, scheme_id, round_id, created_by, title, purpose,
		amount_requested_pence, project_start, project_end, areas, priorities, answers, wards) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,COALESCE($12::jsonb, '{}'),$13)
		RETURNING id`,
			orgID, d.SchemeID, d.RoundID, userID, d.Title, d.Purpose, d.AmountRequested, d.ProjectStart, d.ProjectEnd,
			pq.StringArray(nonNil(d.Areas)), pq.StringArray(nonNil(d.Priorities)), nullJSON(d.Answers), pq.StringArray(nonNil(d.Wards))).Scan(&id)
		if err != nil {
			return err
		}
		return recordIdempotentEffect(ctx, tx, id) // a repeat after a crash answers with this draft
	})
	return id, err
}

// UpdateDraft replaces a draft's answers; it refuses once the application is submitted, or claimed
// for a submission (SubmitDraft) whose workflow may already have started with these answers.
func (s *Store) UpdateDraft(ctx context.Context, id int64, d Draft) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE applications SET title=$2, purpose=$3, amount_requested_pence=$4, project_start=$5,
		project_end=$6, areas=$7, priorities=$8, scheme_id=$9, round_id=$10, answers=COALESCE($11::jsonb, answers),
		wards=COALESCE($12::text[], wards), updated_at=now()
		WHERE id=$1 AND status='draft' AND workflow_id IS NULL AND draft_locked_at IS NULL`,
		id, d.Title, d.Purpose, d.AmountRequested, d.ProjectStart, d.ProjectEnd, pq.StringArray(nonNil(d.Areas)), pq.StringArray(nonNil(d.Priorities)),
		d.SchemeID, d.RoundID, nullJSON(d.Answers), pq.StringArray(d.Wards))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if locked, err := draftLocked(ctx, s.DB, id); err != nil || locked {
			return cmp.Or(err, ErrDraftLocked)
		}
		return fmt.Errorf("only a draft can be changed: %w", ErrDuplicate)
	}
	return nil
}

// MarkSubmitted records that a draft's workflow started. It answers ErrDuplicate if it was already submitted.
func (s *Store) MarkSubmitted(ctx context.Context, id int64, workflowID string, at time.Time) error {
	// The workflow's first step may already have moved the status on: keep it, but record the id and time.
	res, err := s.DB.ExecContext(ctx, `UPDATE applications SET status = CASE WHEN status = 'draft' THEN 'submitted' ELSE status END,
		workflow_id=$2, submitted_at=$3, updated_at=now() WHERE id=$1 AND workflow_id IS NULL`, id, workflowID, at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %d was already submitted: %w", id, ErrDuplicate)
	}
	return nil
}

// Application reads one application.
func (s *Store) Application(ctx context.Context, id int64) (Application, error) {
	var a Application
	err := s.DB.GetContext(ctx, &a, `SELECT `+applicationColumns+applicationFrom+` WHERE a.id = $1`, id)
	return a, notFound(err)
}

// Event is one line of an application's audit trail.
type Event struct {
	ID          int64     `db:"id" json:"-"`
	Application int64     `db:"application_id" json:"-"`
	Key         string    `db:"event_key" json:"-"`
	At          time.Time `db:"at" json:"at"`
	ActorUserID *int64    `db:"actor_user_id" json:"actor_user_id,omitempty"`
	ActorName   string    `db:"actor_name" json:"actor"`
	ActorRole   string    `db:"actor_role" json:"role"`
	What        string    `db:"what" json:"what"`
	Why         string    `db:"why" json:"why,omitempty"`
	Status      string    `db:"status" json:"status"`
	// The event's place in the application's hash chain, written by the database (audit.go).
	Seq      int    `db:"seq" json:"-"`
	PrevHash []byte `db:"prev_hash" json:"-"`
	Hash     []byte `db:"hash" json:"-"`

	// What the people concerned are told of this fact (moments.go). None of it is stored.
	Moment      Moment      `db:"-" json:"-"` // a fact that is not a change of stage; empty for a stage change
	Due         time.Time   `db:"-" json:"-"` // by when the person told must act, when the fact sets a date
	DeciderRole string      `db:"-" json:"-"` // ready for decision: the role whose delegation band covers the amount
	Amount      money.Pence `db:"-" json:"-"` // a payment or tranche the fact is about
	Subject     string      `db:"-" json:"-"` // what, within the grant, the fact is about, e.g. "payment 2"
	Assignee    int64       `db:"-" json:"-"` // a case officer assigned: who
	NotToDecide []int64     `db:"-" json:"-"` // ready for decision: who may not decide it (see activities.Step)
}

// Timeline lists an application's events in order.
func (s *Store) Timeline(ctx context.Context, applicationID int64) ([]Event, error) {
	list := []Event{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM application_events WHERE application_id = $1 ORDER BY at, id`, applicationID)
	return list, err
}

// recordEvent appends an audit event and moves the read model to the event's status, once per key.
// It runs inside the caller's transaction so the fact and its audit line land together.
// Only a newly written event tells people (tellAbout), so a retry tells nobody twice.
func (s *Store) recordEvent(ctx context.Context, tx *sqlx.Tx, e Event) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, event_key, at, actor_user_id, actor_name, actor_role, what, why, status)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (event_key) DO NOTHING`,
		e.Application, e.Key, e.At, e.ActorUserID, e.ActorName, e.ActorRole, e.What, e.Why, e.Status)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // recorded by an earlier attempt
	}
	if err := defaultCaseOfficer(ctx, tx, e); err != nil {
		return err
	}
	var previousStatus string
	if err := tx.GetContext(ctx, &previousStatus, `SELECT status FROM applications WHERE id = $1`, e.Application); err != nil {
		return notFound(err)
	}
	if _, err = tx.ExecContext(ctx, `UPDATE applications SET status = $2, updated_at = $3 WHERE id = $1`, e.Application, e.Status, e.At); err != nil {
		return err
	}
	return s.tellAbout(ctx, tx, e, previousStatus) // after the case officer is set, so the officer's notices reach them
}

// RecordEvent appends an audit event on its own and moves the application to its status.
func (s *Store) RecordEvent(ctx context.Context, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.recordEvent(ctx, tx, e) })
}

// nullJSON passes JSON to PostgreSQL as text, or NULL for none.
func nullJSON(raw []byte) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// ApplicationSearch is a search of the applications: staff's of every one, an applicant's of
// their organisation's (OrganisationID). Zero values mean "any".
type ApplicationSearch struct {
	Text           string // part of the award reference, the organisation's name or the title
	SchemeID       int64
	RoundID        int64
	Status         string
	Statuses       []string // at any of these stages (a work queue of several)
	FinancialYear  int      // the year the round opened in, or any year of the award
	OrganisationID int64
	CaseOfficerID  int64 // NoCaseOfficer for the applications nobody is assigned to
	Page           PageRequest
	OldestFirst    bool // a work queue: the longest in the system first
	ServiceOnly    bool // service applications only (their monitoring returns make work)
	ReportOverdue  bool // only those the workflow flagged as having an overdue report
	// ForAssessor, when set, leaves out what that assessor may not score: the applications they
	// declared a conflict of interest in, and the service applications whose panel is not
	// waiting for their scores (a service application is scored only by its panel).
	ForAssessor int64
	// CountUpTo, when set, counts the matches up to that many (SearchPage.Total): a count of every
	// match of a broad search over a million applications would cost more than the page itself.
	CountUpTo int
}

// NoCaseOfficer searches for the applications nobody has been assigned to look after.
const NoCaseOfficer = -1

// SearchPage is one page of a search, where its neighbours start and, when asked for, how many
// applications matched (counted up to ApplicationSearch.CountUpTo: Capped says there are more).
type SearchPage struct {
	Applications []Application
	Links        PageLinks
	Total        int
	Capped       bool
}

// SearchApplications finds applications, newest first, one page at a time (keyset: see pages.go).
// Input only ever travels as parameters; the text matches literally (its % and _ are not
// wildcards). The text is matched in applications.search_text (the award reference, the
// organisation's name and the title, kept by triggers: migration 00036) through its trigram
// index, so the planner can choose between that index, for a rare name or reference, and reading
// the applications newest first until a page is found, for a common word; a phrase of several
// words is narrowed by its whole words' own index instead (SearchWords, migration 00040).
func (s *Store) SearchApplications(ctx context.Context, f ApplicationSearch) (SearchPage, error) {
	text := containing(f.Text)
	if strings.ContainsRune(text, searchTextSeparator) {
		return SearchPage{Applications: []Application{}}, nil // nothing typed holds it, and it would match across fields
	}
	textMatch := `$13::text = '' AND a.search_text ILIKE $1 ESCAPE '\'` // (every parameter is used, or PostgreSQL cannot type it)
	words := SearchWords(f.Text)
	if words != "" {
		// The same match, written so that the planner narrows by the words' index alone rather than
		// also intersecting the trigram index, whose cost for a common phrase the words save.
		// (ILIKE is lower() of both sides and LIKE in a multi-byte encoding: the same rows.)
		textMatch = `search_words(a.search_text) @@ $13::tsquery AND lower(a.search_text) LIKE lower($1) ESCAPE '\'`
	}
	matches := `
		WHERE ($1 = '' OR (` + textMatch + `) OR ($8::bigint <> 0 AND a.id = $8::bigint))
		AND ($2 = 0 OR a.scheme_id = $2)
		AND ($3 = 0 OR a.round_id = $3)
		AND ($4 = '' OR a.status = $4)
		AND ($5 = 0 OR extract(year FROM (r.opens_at AT TIME ZONE 'Europe/London') - interval '3 months') = $5
			OR EXISTS (SELECT 1 FROM award_years y WHERE y.award_id = aw.id AND y.financial_year = $5))
		AND ($6 = 0 OR a.organisation_id = $6)
		AND ($7 = 0 OR a.case_officer_id = $7 OR ($7 = -1 AND a.case_officer_id IS NULL))
		AND ($9::text[] IS NULL OR a.status = ANY($9))
		AND (NOT $10 OR a.service IS NOT NULL)
		AND (NOT $11 OR a.report_overdue)
		AND ($12 = 0 OR (NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.application_id = a.id AND c.user_id = $12 AND c.has_conflict)
			AND (a.service IS NULL OR EXISTS (SELECT 1 FROM panel_members p WHERE p.application_id = a.id AND p.assessor_id = $12
				AND p.removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM assessments x WHERE x.application_id = a.id AND x.assessor_id = $12)))))`
	// The round and the award are joined LEFT (every application has a round) so that the planner
	// leaves them out when no financial year is asked for: the count reads no other table.
	joins := ` LEFT JOIN rounds r ON r.id = a.round_id LEFT JOIN awards aw ON aw.application_id = a.id`
	var statuses pq.StringArray // NULL: any
	if len(f.Statuses) > 0 {
		statuses = f.Statuses
	}
	args := []any{text, f.SchemeID, f.RoundID, f.Status, f.FinancialYear, f.OrganisationID, f.CaseOfficerID,
		applicationIDOf(f.Text), statuses, f.ServiceOnly, f.ReportOverdue, f.ForAssessor, words}
	pageSQL := f.Page.sql
	if f.OldestFirst {
		pageSQL = f.Page.sqlOldestFirst
	}
	cond, order, pageArgs, err := pageSQL(qualified(keyByID, "a"), args)
	if err != nil {
		return SearchPage{}, err
	}
	out := SearchPage{}
	keyOf := func(a Application) []any { return []any{a.ID} }
	if f.CountUpTo > 0 {
		// One read of the matches' ids, in the list's order and up to the count's cap, gives the
		// count and (unless the page lies beyond the cap) the page's ids: a search whose matches the
		// planner gathers from an index reads them once, not once for the page and again to count.
		direction := "DESC"
		if f.OldestFirst {
			direction = "ASC"
		}
		var window pq.Int64Array
		if err := s.DB.GetContext(ctx, &window, `SELECT coalesce(array_agg(id ORDER BY id `+direction+`), '{}') FROM (SELECT a.id FROM applications a`+
			joins+matches+` ORDER BY a.id `+direction+` LIMIT $14) m`, append(args, f.CountUpTo+1)...); err != nil {
			return SearchPage{}, err
		}
		out.Total, out.Capped = min(len(window), f.CountUpTo), len(window) > f.CountUpTo
		// Past the cap the window holds only the first page's ids, and only if it is one longer than the page.
		if !out.Capped || (f.Page.After == "" && f.Page.Before == "" && len(window) > f.Page.size()) {
			ids, err := f.Page.ofWindow(window, f.OldestFirst)
			if err != nil {
				return SearchPage{}, err
			}
			rows, err := s.applicationsByID(ctx, ids)
			if err != nil {
				return SearchPage{}, err
			}
			out.Applications, out.Links = finishPage(f.Page, rows, keyOf)
			return out, nil
		}
	}
	// The page's rows are found first and only then joined to their names, so a plan that reads
	// many candidates joins no more than a page of them.
	rows := []Application{}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+applicationColumns+` FROM (SELECT a.* FROM applications a`+joins+matches+` AND `+cond+order+`) a
		JOIN organisations o ON o.id = a.organisation_id JOIN schemes s ON s.id = a.scheme_id LEFT JOIN users co ON co.id = a.case_officer_id`+
		strings.Split(order, " LIMIT ")[0], pageArgs...); err != nil {
		return SearchPage{}, err
	}
	out.Applications, out.Links = finishPage(f.Page, rows, keyOf)
	return out, nil
}

// applicationsByID reads the applications of ids, in their order.
func (s *Store) applicationsByID(ctx context.Context, ids []int64) ([]Application, error) {
	rows := []Application{}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+applicationColumns+applicationFrom+` WHERE a.id = ANY($1)`, pq.Int64Array(ids)); err != nil {
		return nil, err
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortFunc(rows, func(a, b Application) int { return at[a.ID] - at[b.ID] })
	return rows, nil
}

// SearchWords is the text-search query that narrows a search for text to the applications holding its
// whole words (search_words, migration 00040), or "" when the trigram index does better: text
// of ASCII letters and spaces only, of three words or more. A typed word may be the end of a
// longer one if it comes first, or the start of one if it comes last, so the first is left out
// and the last is a prefix; words shorter than three letters are in nearly every application and
// narrow nothing. At least two words must be left. Anything with digits or other characters (a
// reference, a numbered name) has rarer trigrams, and stays with them.
func SearchWords(text string) string {
	typed := strings.Fields(text)
	if len(typed) < 3 || strings.IndexFunc(text, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == ' ')
	}) >= 0 {
		return ""
	}
	var terms []string
	for i, w := range typed[1:] {
		if len(w) < 3 {
			continue
		}
		w = strings.ToLower(w)
		if i == len(typed)-2 {
			w += ":*"
		}
		terms = append(terms, w)
	}
	if len(terms) < 2 {
		return ""
	}
	return strings.Join(terms, " & ")
}

// searchTextSeparator joins the fields of applications.search_text (chr(31), migration 00036).
const searchTextSeparator = '\x1f'

// EachApplication calls fn with every application the search finds, a page at a time (for work
// that needs them all, such as the returns due of every service award in delivery).
func (s *Store) EachApplication(ctx context.Context, f ApplicationSearch, fn func(Application) error) error {
	f.Page = PageRequest{Size: MaxPageSize}
	for {
		found, err := s.SearchApplications(ctx, f)
		if err != nil {
			return err
		}
		for _, a := range found.Applications {
			if err := fn(a); err != nil {
				return err
			}
		}
		if found.Links.Next == "" {
			return nil
		}
		f.Page.After = found.Links.Next
	}
}

// ApplicationReference is how an application is known to its applicant from submission on
// (the confirmation tells them to quote it).
func ApplicationReference(id int64) string { return fmt.Sprintf("APP-%06d", id) }

// applicationIDOf reads an application reference as people type it: "APP-000003" in any case,
// with or without the hyphen or the zeros, or its six digits alone ("000003"); 0 when the text is
// not one, which matches no application. A reference is matched whole, never by its start: "APP-0001"
// is APP-000001, not every application from APP-000100 to APP-000199 (LooksLikeReference lets a page
// say so when it finds nothing).
func applicationIDOf(text string) int64 {
	text = strings.TrimSpace(text)
	digits, prefixed := text, len(text) >= 3 && strings.EqualFold(text[:3], "APP")
	if prefixed {
		digits = strings.TrimPrefix(text[3:], "-")
	} else if len(text) != len("000000") {
		return 0
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// LooksLikeReference says whether a search's text is (part of) an application reference: APP
// and digits, or digits alone.
func LooksLikeReference(text string) bool {
	text = strings.TrimSpace(text)
	if len(text) >= 3 && strings.EqualFold(text[:3], "APP") {
		text = strings.TrimPrefix(text[3:], "-")
	}
	return text != "" && strings.TrimLeft(text, "0123456789") == ""
}

// containing is an ILIKE pattern (ESCAPE '\') matching text anywhere, literally; "" for no text.
func containing(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
}
