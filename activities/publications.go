package activities

import (
	"context"
	"time"

	"grantflow/publication"
	"grantflow/store"
)

// Publications freezes the grants register's months (package publication does the work).
type Publications struct {
	Store *store.Store
}

// PublishRegisterInput is the moment the publication runs as at (the workflow's clock): a month is
// due once the first working day after it has begun by then.
type PublishRegisterInput struct {
	AsOf time.Time
}

// PublishRegisterResult numbers what this run published: first versions of months now due, and
// new versions of months whose awards changed. A repeat run publishes nothing.
type PublishRegisterResult struct {
	Published []string
}

// PublishRegister publishes every month due and not yet published, and a new version of every
// published month whose register has changed. Idempotent: a version is unique to its month and
// the same content is never published again.
func (p *Publications) PublishRegister(ctx context.Context, in PublishRegisterInput) (PublishRegisterResult, error) {
	defer keepAlive(ctx)()
	pubs, err := (&publication.Publisher{Store: p.Store}).PublishDue(ctx, in.AsOf)
	res := PublishRegisterResult{Published: []string{}}
	for _, pub := range pubs {
		res.Published = append(res.Published, pub.Number)
	}
	return res, err
}
