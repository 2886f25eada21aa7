package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SchemeForm is one version of a scheme's (or one round's) application form. Definition is a
// questions.Form as JSON; the store keeps it as given and never reads inside it.
type SchemeForm struct {
	ID         int64           `db:"id" json:"-"`
	SchemeID   int64           `db:"scheme_id" json:"scheme_id"`
	RoundID    *int64          `db:"round_id" json:"round_id,omitempty"`
	Version    int             `db:"version" json:"version"`
	Definition json.RawMessage `db:"definition" json:"definition"`
	CreatedAt  time.Time       `db:"created_at" json:"created_at"`
	CreatedBy  string          `db:"created_by" json:"created_by"`
	Reason     string          `db:"reason" json:"reason,omitempty"`
}

// SchemeForm is the form an application to the scheme in the round answers: the round's own
// newest form if it has one, else the scheme's newest; ErrNotFound when neither has been saved
// (the caller then uses its kind's default). roundID 0 is the scheme's own form.
func (s *Store) SchemeForm(ctx context.Context, schemeID, roundID int64) (SchemeForm, error) {
	var f SchemeForm
	err := s.DB.GetContext(ctx, &f, `SELECT * FROM scheme_forms WHERE scheme_id = $1 AND (round_id IS NULL OR round_id = $2)
		ORDER BY round_id IS NULL, version DESC LIMIT 1`, schemeID, roundID)
	return f, notFound(err)
}

// SchemeForms lists every version of a scheme's forms, newest first.
func (s *Store) SchemeForms(ctx context.Context, schemeID int64) ([]SchemeForm, error) {
	list := []SchemeForm{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM scheme_forms WHERE scheme_id = $1 ORDER BY version DESC`, schemeID)
	return list, err
}

// SaveSchemeForm saves a new version of a scheme's form (roundID 0) or a round's, with who and
// why, recording form.versioned in the audit trail in the same transaction. Saving the form the
// scheme (or round) already has changes nothing and reports false. The caller validates it.
func (s *Store) SaveSchemeForm(ctx context.Context, schemeID, roundID int64, definition []byte, by Actor, at time.Time, why string) (SchemeForm, bool, error) {
	var f SchemeForm
	var changed bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sc Scheme
		if err := tx.GetContext(ctx, &sc, `SELECT * FROM schemes WHERE id = $1 FOR UPDATE`, schemeID); err != nil {
			return notFound(err)
		}
		var err error
		f, changed, err = saveFormTx(ctx, tx, sc, roundID, definition, by, at, why)
		return err
	})
	return f, changed, err
}

// saveFormTx saves a form version inside the caller's transaction, which holds the scheme's row.
func saveFormTx(ctx context.Context, tx *sqlx.Tx, sc Scheme, roundID int64, definition []byte, by Actor, at time.Time, why string) (SchemeForm, bool, error) {
	var round *int64
	if roundID != 0 {
		var owner int64
		if err := tx.GetContext(ctx, &owner, `SELECT scheme_id FROM rounds WHERE id = $1`, roundID); err != nil || owner != sc.ID {
			return SchemeForm{}, false, fmt.Errorf("round %d of scheme %s: %w", roundID, sc.Slug, ErrNotFound)
		}
		round = &roundID
	}
	var current SchemeForm
	err := tx.GetContext(ctx, &current, `SELECT * FROM scheme_forms WHERE scheme_id = $1 AND round_id IS NOT DISTINCT FROM $2
		ORDER BY version DESC LIMIT 1`, sc.ID, round)
	if err != nil && notFound(err) != ErrNotFound {
		return SchemeForm{}, false, err
	}
	if err == nil && sameJSON(current.Definition, definition) {
		return current, false, nil
	}
	f := SchemeForm{SchemeID: sc.ID, RoundID: round, Definition: definition, CreatedAt: at, CreatedBy: actorName(by), Reason: why}
	if err := tx.GetContext(ctx, &f.Version, `SELECT COALESCE(MAX(version), 0) + 1 FROM scheme_forms WHERE scheme_id = $1`, sc.ID); err != nil {
		return SchemeForm{}, false, err
	}
	if err := tx.GetContext(ctx, &f.ID, `INSERT INTO scheme_forms (scheme_id, round_id, version, definition, created_at, created_by, reason)
		VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, f.SchemeID, f.RoundID, f.Version, []byte(definition), at, f.CreatedBy, why); err != nil {
		return SchemeForm{}, false, err
	}
	what := fmt.Sprintf("Application form version %d saved", f.Version)
	if round != nil {
		what = fmt.Sprintf("Application form version %d saved for round %d", f.Version, roundID)
	}
	err = recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("form.versioned:%d:%d", sc.ID, f.Version), Action: "form.versioned",
		SubjectKind: "scheme", SubjectID: sc.ID, Subject: sc.Name, What: what, Why: why}, map[string]any{"version": f.Version, "round_id": round})
	return f, true, err
}

func actorName(by Actor) string {
	if by.Name == "" {
		return "Grantflow"
	}
	return by.Name
}

// sameJSON reports whether two JSON documents hold the same value (jsonb reorders keys).
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// SchemeImport is what importing a scheme definition did.
type SchemeImport struct {
	Scheme      Scheme
	Created     bool
	Updated     bool // name or description changed
	RulesBefore int  // the rules version before (0 when created)
	Form        SchemeForm
	FormSaved   bool
}

// ImportScheme creates or updates a scheme by slug with its rules and form in one transaction,
// recording each change in the audit trail (scheme.created, scheme.updated, rules.versioned,
// form.versioned) with the actor: importing the same definition again changes nothing. Rules
// changes make a new rules version as UpsertScheme does; the caller has validated the form.
func (s *Store) ImportScheme(ctx context.Context, sc Scheme, form []byte, by Actor, at time.Time, why string) (SchemeImport, error) {
	if err := sc.Rules.Validate(); err != nil {
		return SchemeImport{}, fmt.Errorf("scheme %s: %w", sc.Slug, err)
	}
	var out SchemeImport
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The same create or save as a person's edit (rules_versions.go): versions kept and
		// recorded in the audit trail alike, whoever the actor.
		edit := SchemeEdit{By: by, At: at, Reason: why}
		var saved SchemeSaved
		current, err := lockScheme(ctx, tx, `slug = $1`, sc.Slug)
		switch {
		case errors.Is(err, ErrNotFound):
			saved, err = s.createScheme(ctx, tx, sc, edit)
		case err == nil:
			out.RulesBefore = current.RulesVer
			out.Updated = current.Name != sc.Name || current.Description != sc.Description
			saved, err = s.saveScheme(ctx, tx, current, sc, edit)
		}
		if err != nil {
			return err
		}
		out.Created = saved.Created
		after := saved.Scheme
		out.Scheme = after
		out.Form, out.FormSaved, err = saveFormTx(ctx, tx, after, 0, form, by, at, why)
		return err
	})
	return out, err
}
