package store

import (
	"context"
	"fmt"
	"log/slog"
)

// OpenApp connects as the HTTP server and workers do. The schema belongs to its owner: only when
// migrate is true (no separate owner's connection is configured) and this connection's role owns
// the schema does it apply the migrations, as one role doing everything does (`make run`);
// otherwise it refuses a database whose migrations are behind this binary's, naming the command
// that brings it up to date, and never runs DDL.
func OpenApp(ctx context.Context, databaseURL string, migrate bool, logger *slog.Logger) (*Store, error) {
	if migrate {
		if err := CheckDatabaseURL("DATABASE_URL", databaseURL); err != nil {
			return nil, err
		}
		if err := CreateDatabaseIfMissing(ctx, databaseURL); err != nil {
			return nil, err
		}
	}
	s, err := Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	owner := false
	if migrate {
		if owner, err = s.OwnsSchema(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if owner {
		err = s.Migrate(ctx, logger)
	} else {
		err = s.RequireCurrentSchema(ctx, logger)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OwnsSchema says whether the connection's role owns the schema its tables live in (a superuser
// counts as every role), and so may migrate it.
func (s *Store) OwnsSchema(ctx context.Context) (bool, error) {
	var owns bool
	err := s.DB.GetContext(ctx, &owns, `SELECT coalesce((SELECT pg_has_role(current_user, n.nspowner, 'USAGE')
		FROM pg_namespace n WHERE n.nspname = current_schema()), false)`)
	if err != nil {
		return false, fmt.Errorf("read the schema's owner: %w", err)
	}
	return owns, nil
}

// RequireCurrentSchema refuses a database whose migrations are behind this binary's. One ahead of
// it (a newer binary migrated it during a rolling upgrade) is let through with a warning.
func (s *Store) RequireCurrentSchema(ctx context.Context, logger *slog.Logger) error {
	database, embedded, err := s.MigrationVersions(ctx)
	if err != nil {
		return fmt.Errorf("%w; has `grantflow migrate` been run on this database (as the schema's owner, MIGRATE_DATABASE_URL)?", err)
	}
	if database < embedded {
		return fmt.Errorf("the database is at migration %d and this binary needs %d: run `grantflow migrate` (as the schema's owner, MIGRATE_DATABASE_URL) first; this connection does not change the schema", database, embedded)
	}
	if database > embedded && logger != nil {
		logger.Warn("the database is at a newer migration than this binary knows", "database", database, "binary", embedded)
	}
	return nil
}
