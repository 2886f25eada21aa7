package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/scheme"
)

// A scheme's rules are versioned: every save that changes them keeps the new rules whole as the
// next version, with who saved them, in which role, when and why, and records the act in the
// office's audit trail in the same transaction. Applications keep the version they were submitted
// under (submitted_rules.go).

// RulesVersion is one kept version of a scheme's rules.
type RulesVersion struct {
	SchemeID  int64        `db:"scheme_id" json:"scheme_id"`
	Version   int          `db:"version" json:"version"`
	RulesJSON []byte       `db:"rules" json:"-"`
	Rules     scheme.Rules `db:"-" json:"rules"`
	At        time.Time    `db:"at" json:"at"`
	ActorID   *int64       `db:"actor_id" json:"actor_id,omitempty"`
	ActorName string       `db:"actor_name" json:"by"`
	ActorRole string       `db:"actor_role" json:"role"`
	Reason    string       `db:"reason" json:"reason"`
}

// SchemeEdit is who saves a scheme, when and why.
type SchemeEdit struct {
	By     Actor
	At     time.Time // zero: now
	Reason string    // why the rules changed; a person must give one (the API asks for it)
	// BaseVersion, when not 0, is the rules version the editor started from: saving over a newer
	// version is refused with ErrStaleRules rather than undoing someone else's change unseen.
	BaseVersion int
}

// SchemeSaved says what a save did.
type SchemeSaved struct {
	Scheme     Scheme
	Created    bool
	NewVersion bool            // the rules changed and were kept as a new version
	Changes    []scheme.Change // from the previous version, in words
}

// ErrStaleRules refuses a save made from rules someone else has changed since.
var ErrStaleRules = errors.New("the rules were changed by someone else since you opened them")

// ErrSchemeExists refuses a new scheme whose address (slug) another scheme has.
var ErrSchemeExists = fmt.Errorf("a scheme with that address %w", ErrDuplicate)

// UpsertScheme creates or updates a scheme by slug as Grantflow itself (the demo seed, tests);
// changing the rules keeps them as a new version.
func (s *Store) UpsertScheme(ctx context.Context, sc Scheme) (Scheme, error) {
	edit := SchemeEdit{By: SystemActor("Grantflow"), At: time.Now()}
	var saved SchemeSaved
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Seeds of one slug queue here, before any insert: racing inserts on the scheme's unique
		// slug and reference prefix could otherwise wait on each other in a circle (40P01).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scheme:' || $1, 0))`, sc.Slug); err != nil {
			return err
		}
		current, err := lockScheme(ctx, tx, `slug = $1`, sc.Slug)
		if errors.Is(err, ErrNotFound) {
			saved, err = s.createScheme(ctx, tx, sc, edit)
			if !errors.Is(err, ErrSchemeExists) {
				return err
			}
			// Created meanwhile by another seed (the insert waited for it): update that one.
			current, err = lockScheme(ctx, tx, `slug = $1`, sc.Slug)
		}
		if err != nil {
			return err
		}
		saved, err = s.saveScheme(ctx, tx, current, sc, edit)
		return err
	})
	if err != nil {
		return Scheme{}, fmt.Errorf("scheme %s: %w", sc.Slug, err)
	}
	return saved.Scheme, nil
}

// CreateScheme makes a new scheme with its rules as version 1. A slug already taken is
// ErrSchemeExists; rules that cannot be used are scheme.Problems.
func (s *Store) CreateScheme(ctx context.Context, sc Scheme, e SchemeEdit) (SchemeSaved, error) {
	var saved SchemeSaved
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		saved, err = s.createScheme(ctx, tx, sc, e)
		return err
	})
	return saved, err
}

// UpdateScheme saves a scheme's name, description and rules. Rules that differ from the current
// ones become the next version; saving the same rules makes none. Concurrent saves queue on the
// scheme's row, so each change is kept as its own version.
func (s *Store) UpdateScheme(ctx context.Context, id int64, sc Scheme, e SchemeEdit) (SchemeSaved, error) {
	var saved SchemeSaved
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		current, err := lockScheme(ctx, tx, `id = $1`, id)
		if err != nil {
			return err
		}
		saved, err = s.saveScheme(ctx, tx, current, sc, e)
		return err
	})
	return saved, err
}

func lockScheme(ctx context.Context, tx *sqlx.Tx, where string, arg any) (Scheme, error) {
	var current Scheme
	if err := tx.GetContext(ctx, &current, `SELECT * FROM schemes WHERE `+where+` FOR UPDATE`, arg); err != nil {
		return Scheme{}, notFound(err)
	}
	if err := json.Unmarshal(current.RulesJSON, &current.Rules); err != nil {
		return Scheme{}, fmt.Errorf("scheme %d's rules: %w", current.ID, err)
	}
	return current, nil
}

func (e *SchemeEdit) defaults() {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.By.Name == "" {
		e.By = SystemActor("Grantflow")
	}
	e.Reason = strings.TrimSpace(e.Reason)
}

func (s *Store) createScheme(ctx context.Context, tx *sqlx.Tx, sc Scheme, e SchemeEdit) (SchemeSaved, error) {
	e.defaults()
	if err := sc.Rules.Validate(); err != nil {
		return SchemeSaved{}, err
	}
	if err := codeFree(ctx, tx, sc.Slug, sc.Rules.Code); err != nil {
		return SchemeSaved{}, err
	}
	sc.Kind = sc.Rules.Kind
	sc.Rules.Version = 1
	sc.RulesVer = 1
	rules, err := json.Marshal(sc.Rules)
	if err != nil {
		return SchemeSaved{}, err
	}
	sc.RulesJSON = rules
	err = tx.QueryRowxContext(ctx, `INSERT INTO schemes (slug, name, kind, description, rules, rules_version) VALUES ($1,$2,$3,$4,$5,1)
		ON CONFLICT (slug) DO NOTHING RETURNING id`, sc.Slug, sc.Name, sc.Kind, sc.Description, rules).Scan(&sc.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return SchemeSaved{}, ErrSchemeExists
	}
	if err != nil {
		return SchemeSaved{}, err
	}
	if err := keepRulesVersion(ctx, tx, sc.ID, 1, rules, e); err != nil {
		return SchemeSaved{}, err
	}
	err = recordAdminEvent(ctx, tx, e.By, e.At, AdminEvent{Key: fmt.Sprintf("scheme-%d-created", sc.ID), Action: "scheme.created",
		SubjectKind: "scheme", SubjectID: sc.ID, Subject: sc.Name, What: fmt.Sprintf("Created the %s scheme %s with its rules as version 1", sc.Kind, sc.Name),
		Why: e.Reason}, map[string]any{"slug": sc.Slug, "version": 1})
	return SchemeSaved{Scheme: sc, Created: true, NewVersion: true}, err
}

func (s *Store) saveScheme(ctx context.Context, tx *sqlx.Tx, current, sc Scheme, e SchemeEdit) (SchemeSaved, error) {
	e.defaults()
	if e.BaseVersion != 0 && e.BaseVersion != current.RulesVer {
		return SchemeSaved{}, fmt.Errorf("%w (you started from version %d; it is now version %d)", ErrStaleRules, e.BaseVersion, current.RulesVer)
	}
	if err := sc.Rules.Validate(); err != nil {
		return SchemeSaved{}, err
	}
	if err := codeFree(ctx, tx, current.Slug, sc.Rules.Code); err != nil {
		return SchemeSaved{}, err
	}
	sc.ID, sc.Slug = current.ID, current.Slug
	sc.Kind = sc.Rules.Kind
	if sc.Kind != current.Kind {
		var used bool
		if err := tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM applications WHERE scheme_id = $1)`, current.ID); err != nil {
			return SchemeSaved{}, err
		}
		if used {
			return SchemeSaved{}, scheme.Problems{"kind": fmt.Sprintf("cannot change from %s: the scheme already has applications, whose workflows follow its kind", current.Kind)}
		}
	}
	sc.Rules.Version = current.RulesVer
	changes := scheme.Differences(current.Rules, sc.Rules)
	// Differences reads the rules people set; anything else that differs (a field only the JSON
	// carries) still makes a version, so nothing is changed unrecorded.
	newVersion := len(changes) > 0 || !sameRules(current.Rules, sc.Rules)
	out := SchemeSaved{Changes: changes, NewVersion: newVersion}
	if newVersion {
		sc.Rules.Version = current.RulesVer + 1
	}
	sc.RulesVer = sc.Rules.Version
	rules, err := json.Marshal(sc.Rules)
	if err != nil {
		return SchemeSaved{}, err
	}
	sc.RulesJSON = rules
	detailsChanged := sc.Name != current.Name || sc.Description != current.Description || sc.Kind != current.Kind
	if !newVersion && !detailsChanged {
		out.Scheme = current
		return out, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schemes SET name = $2, kind = $3, description = $4, rules = $5, rules_version = $6 WHERE id = $1`,
		sc.ID, sc.Name, sc.Kind, sc.Description, rules, sc.RulesVer); err != nil {
		return SchemeSaved{}, err
	}
	if newVersion {
		if err := keepRulesVersion(ctx, tx, sc.ID, sc.RulesVer, rules, e); err != nil {
			return SchemeSaved{}, err
		}
		var words []string
		for _, c := range changes {
			words = append(words, c.Text)
		}
		what := fmt.Sprintf("Rules version %d of %s", sc.RulesVer, sc.Name)
		if len(words) > 0 {
			what += ": " + strings.Join(words, "; ")
		}
		if err := recordAdminEvent(ctx, tx, e.By, e.At, AdminEvent{Key: fmt.Sprintf("scheme-%d-rules-v%d", sc.ID, sc.RulesVer), Action: "rules.versioned",
			SubjectKind: "scheme", SubjectID: sc.ID, Subject: sc.Name, What: what, Why: e.Reason},
			map[string]any{"from_version": current.RulesVer, "version": sc.RulesVer, "changes": changes}); err != nil {
			return SchemeSaved{}, err
		}
	}
	if detailsChanged {
		var parts []string
		if sc.Name != current.Name {
			parts = append(parts, fmt.Sprintf("name %s → %s", current.Name, sc.Name))
		}
		if sc.Description != current.Description {
			parts = append(parts, "description changed")
		}
		if sc.Kind != current.Kind {
			parts = append(parts, fmt.Sprintf("kind %s → %s", current.Kind, sc.Kind))
		}
		if err := recordAdminEvent(ctx, tx, e.By, e.At, AdminEvent{Key: fmt.Sprintf("scheme-%d-details-%d", sc.ID, e.At.UnixNano()), Action: "scheme.updated",
			SubjectKind: "scheme", SubjectID: sc.ID, Subject: sc.Name, What: "Changed the scheme's " + strings.Join(parts, "; "), Why: e.Reason},
			map[string]any{"before": map[string]any{"name": current.Name, "description": current.Description, "kind": current.Kind},
				"after": map[string]any{"name": sc.Name, "description": sc.Description, "kind": sc.Kind}}); err != nil {
			return SchemeSaved{}, err
		}
	}
	out.Scheme = sc
	return out, nil
}

// codeFree refuses a reference prefix another scheme has: references (GCF-2026-0012) must name one
// application. Saves of the same prefix queue on a lock, so two cannot take it at once.
func codeFree(ctx context.Context, tx *sqlx.Tx, slug, code string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('scheme-code:' || upper($1)))`, code); err != nil {
		return err
	}
	var other string
	err := tx.GetContext(ctx, &other, `SELECT name FROM schemes WHERE slug <> $1 AND upper(rules->>'code') = upper($2) LIMIT 1`, slug, code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return scheme.Problems{"code": fmt.Sprintf("is already the reference prefix of %s: each scheme needs its own, so references name one application", other)}
}

func keepRulesVersion(ctx context.Context, tx *sqlx.Tx, schemeID int64, version int, rules []byte, e SchemeEdit) error {
	var actorID *int64
	if e.By.UserID != 0 {
		actorID = &e.By.UserID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO scheme_rules_versions (scheme_id, version, rules, at, actor_id, actor_name, actor_role, reason)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, schemeID, version, rules, e.At, actorID, e.By.Name, e.By.Role, e.Reason)
	if err != nil {
		return fmt.Errorf("keep rules version %d of scheme %d: %w", version, schemeID, err)
	}
	return nil
}

func sameRules(a, b scheme.Rules) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// RulesVersions lists a scheme's kept rules versions, newest first.
func (s *Store) RulesVersions(ctx context.Context, schemeID int64) ([]RulesVersion, error) {
	list := []RulesVersion{}
	if err := s.DB.SelectContext(ctx, &list, `SELECT * FROM scheme_rules_versions WHERE scheme_id = $1 ORDER BY version DESC`, schemeID); err != nil {
		return nil, err
	}
	for i := range list {
		if err := json.Unmarshal(list[i].RulesJSON, &list[i].Rules); err != nil {
			return nil, fmt.Errorf("rules version %d of scheme %d: %w", list[i].Version, schemeID, err)
		}
	}
	return list, nil
}

// RulesVersion reads one kept version of a scheme's rules.
func (s *Store) RulesVersion(ctx context.Context, schemeID int64, version int) (RulesVersion, error) {
	var v RulesVersion
	if err := s.DB.GetContext(ctx, &v, `SELECT * FROM scheme_rules_versions WHERE scheme_id = $1 AND version = $2`, schemeID, version); err != nil {
		return RulesVersion{}, notFound(err)
	}
	return v, json.Unmarshal(v.RulesJSON, &v.Rules)
}
