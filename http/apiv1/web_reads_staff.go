package apiv1

import (
	"context"

	"grantflow/store"
)

// ApplicationScheme is the scheme of an application the person may see, with the rules the
// application was submitted under (its workflow applies those, whatever the scheme's rules are
// now): they name the criteria a form scores and the delegation bands it shows. Another
// organisation's application is not found.
func (s *Server) ApplicationScheme(ctx context.Context, u store.User, id int64) (store.Scheme, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return store.Scheme{}, err
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		return sc, err
	}
	rules, kept, err := app.SubmittedRules()
	if kept {
		sc.Rules = rules
	}
	return sc, err
}
