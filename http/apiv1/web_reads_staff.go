package apiv1

import (
	"context"

	"grantflow/store"
)

// ApplicationScheme is the scheme of an application the person may see (its rules name the
// criteria a form scores and the delegation bands it shows); another organisation's
// application is not found.
func (s *Server) ApplicationScheme(ctx context.Context, u store.User, id int64) (store.Scheme, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return store.Scheme{}, err
	}
	return s.Store.Scheme(ctx, app.SchemeID)
}
