package devtemporal

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"

	"grantflow/internal/throwawaydb"
)

const (
	// DefaultPostgresDatabase holds the server's state when the URL names no database; its
	// visibility records go to the same name with VisibilitySuffix.
	DefaultPostgresDatabase = "temporal"
	VisibilitySuffix        = "_visibility"

	// The schemas embedded in the server module (go.temporal.io/server/schema), as
	// temporal-sql-tool's --schema-name takes them.
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
	// maintenanceDatabase is where CREATE DATABASE runs from.
	maintenanceDatabase = "postgres"
)

// A database name is written into CREATE DATABASE as it is, so only plain names are accepted;
// PostgreSQL's limit is 63 bytes, and the visibility database's name is longer by its suffix.
var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,51}$`)

// postgresStores parses a postgres:// URL into the server's two SQL stores: the database in its
// path (default "temporal") and that name with "_visibility". Query parameters (sslmode, ...)
// become connect attributes.
func postgresStores(raw string) (main, visibility *config.SQL, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, nil, fmt.Errorf("devtemporal: PostgreSQL URL must look like postgres://user@host:5432/temporal?sslmode=disable, not %q", redact(raw))
	}
	addr := u.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(u.Hostname(), "5432")
	}
	name := DefaultPostgresDatabase
	if p := u.Path; p != "" && p != "/" {
		name = p[1:]
	}
	if !databaseName.MatchString(name) {
		return nil, nil, fmt.Errorf("devtemporal: PostgreSQL database %q: want lower-case letters, digits and _ (at most 52)", name)
	}
	password, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[len(v)-1]
	}
	cfg := config.SQL{
		PluginName:        postgresplugin.PluginName,
		ConnectAddr:       addr,
		User:              u.User.Username(),
		Password:          password,
		DatabaseName:      name,
		ConnectAttributes: attrs,
		// As Temporal's own development-postgres12 configuration.
		MaxConns:        20,
		MaxIdleConns:    20,
		MaxConnLifetime: time.Hour,
	}
	vis := cfg
	vis.DatabaseName = name + VisibilitySuffix
	vis.ConnectAttributes = attrs
	return &cfg, &vis, nil
}

// pgStore is one database and the embedded schema it holds.
type pgStore struct {
	cfg        *config.SQL
	schemaName string
}

// setupPostgres creates each database if it is missing and brings its schema up to the version this
// server needs, as temporal-sql-tool's create-database, setup-schema -v 0.0 and update-schema do
// (the steps of Temporal's own auto-setup): on an existing database only newer versions run.
func setupPostgres(logger log.Logger, stores ...pgStore) error {
	for _, s := range stores {
		admin := *s.cfg
		if err := sqltool.DoCreateDatabase(&admin, maintenanceDatabase, logger); err != nil {
			return fmt.Errorf("devtemporal: create database %s on %s: %w", s.cfg.DatabaseName, s.cfg.ConnectAddr, err)
		}
		conn, err := sqltool.NewConnection(s.cfg, logger)
		if err != nil {
			return fmt.Errorf("devtemporal: connect to database %s: %w", s.cfg.DatabaseName, err)
		}
		err = schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run()
		if err == nil {
			err = schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: s.cfg.DatabaseName, SchemaName: s.schemaName}, logger).Run()
		}
		conn.Close()
		if err != nil {
			return fmt.Errorf("devtemporal: schema %s in database %s: %w", s.schemaName, s.cfg.DatabaseName, err)
		}
	}
	return nil
}

// openPostgres sets up both databases and returns the persistence configuration that uses them.
func openPostgres(raw string, logger log.Logger) (config.Persistence, error) {
	main, vis, err := postgresStores(raw)
	if err != nil {
		return config.Persistence{}, err
	}
	if err := setupPostgres(logger, pgStore{main, postgresSchema}, pgStore{vis, postgresVisibilitySchema}); err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     "default",
		VisibilityStore:  "visibility",
		NumHistoryShards: 1,
		DataStores: map[string]config.DataStore{
			"default":    {SQL: main},
			"visibility": {SQL: vis},
		},
	}, nil
}

// redact hides a URL's password in messages.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// ThrowawayPostgres names a pair of databases on the PostgreSQL server that serverURL points at
// that nobody else uses (temporal_test_<random> and its visibility database), for tests and
// benchmarks: it returns the URL for Options.PostgresURL, and drop, which removes both databases
// (after the server has stopped; WITH (FORCE) ends any connection left open).
func ThrowawayPostgres(serverURL string) (pgURL string, drop func() error, err error) {
	db, err := throwawaydb.New(serverURL, "temporal_test")
	if err != nil {
		return "", nil, fmt.Errorf("devtemporal: %w", err)
	}
	return db.URL, func() error { return db.Drop(VisibilitySuffix) }, nil
}
