package store

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"

	"grantflow/migrations"
)

// Ping checks that PostgreSQL answers on the pool (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return nil
}

// MigrationVersions returns the goose version the database is at and the newest embedded migration
// this binary carries; they differ when a migration is still to run (or the database is ahead of
// this binary, during a rolling upgrade).
func (s *Store) MigrationVersions(ctx context.Context) (database, embedded int64, err error) {
	provider, err := goose.NewProvider(goose.DialectPostgres, s.DB.DB, migrations.FS)
	if err != nil {
		return 0, 0, fmt.Errorf("load migrations: %w", err)
	}
	sources := provider.ListSources()
	if len(sources) > 0 {
		embedded = sources[len(sources)-1].Version
	}
	database, err = provider.GetDBVersion(ctx)
	if err != nil {
		return 0, embedded, fmt.Errorf("read migration version: %w", err)
	}
	return database, embedded, nil
}
