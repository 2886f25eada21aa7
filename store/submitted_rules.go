package store

import (
	"context"
	"encoding/json"

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
func (a Application) SubmittedRules() (scheme.Rules, bool, error) {
	if a.RulesJSON == nil {
		return scheme.Rules{}, false, nil
	}
	var r scheme.Rules
	if err := json.Unmarshal(a.RulesJSON, &r); err != nil {
		return scheme.Rules{}, false, err
	}
	return r, true, nil
}
