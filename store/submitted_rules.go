package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"grantflow/scheme"
)

// SaveSubmittedRules keeps the rules a draft is being submitted under, before its workflow starts
// with them. Once the application has left the draft stage the rules kept stay as they are, so a
// submission sent twice cannot replace them.
func (s *Store) SaveSubmittedRules(ctx context.Context, id int64, rules scheme.Rules) error {
	raw, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, `UPDATE applications SET submitted_rules = $2 WHERE id = $1 AND status = 'draft'`, id, raw)
	return err
}

// SubmittedRules are the rules the application was submitted under; false when none were kept
// (a draft, or an application submitted before they were).
func (s *Store) SubmittedRules(ctx context.Context, id int64) (scheme.Rules, bool, error) {
	var raw []byte
	err := s.DB.GetContext(ctx, &raw, `SELECT submitted_rules FROM applications WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return scheme.Rules{}, false, ErrNotFound
	}
	if err != nil || raw == nil {
		return scheme.Rules{}, false, err
	}
	var r scheme.Rules
	if err := json.Unmarshal(raw, &r); err != nil {
		return scheme.Rules{}, false, err
	}
	return r, true, nil
}
