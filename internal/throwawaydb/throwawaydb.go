// Package throwawaydb names PostgreSQL databases that nobody else uses, for the tests, benchmarks
// and load runs that need a database of their own, and drops them when they are done.
package throwawaydb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/lib/pq"
)

// maintenanceDatabase is where CREATE and DROP DATABASE run: the one database every server has.
const maintenanceDatabase = "postgres"

// Database is a database of its own on a PostgreSQL server.
type Database struct {
	Name string
	// URL is the server's URL with Name as its database.
	URL    string
	server url.URL // the server's maintenance database
}

// New names a database prefix_<12 random hex digits> on the server that serverURL points at (its
// database, if it names one, is not used). It does not create it: store.Open creates and migrates
// a database that is missing; Create makes an empty one.
func New(serverURL, prefix string) (*Database, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // without the URL, which may hold a password
		}
		return nil, fmt.Errorf("PostgreSQL server URL: %w", err)
	}
	raw := make([]byte, 6)
	rand.Read(raw)
	name := prefix + "_" + hex.EncodeToString(raw)
	d := &Database{Name: name, server: *u}
	d.server.Path = "/" + maintenanceDatabase
	u.Path = "/" + name
	d.URL = u.String()
	return d, nil
}

// Create makes the database, empty.
func (d *Database) Create(ctx context.Context) error {
	return d.exec(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(d.Name))
}

// Drop removes the database and those named after it with each of suffixes (a Temporal server's
// visibility database, say), ending any connection still open to them (WITH (FORCE)). It takes no
// context: it runs at the end, when the run's context has often been cancelled.
func (d *Database) Drop(suffixes ...string) error {
	for _, suffix := range append([]string{""}, suffixes...) {
		if err := d.exec(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(d.Name+suffix)+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	return nil
}

// exec runs one statement on the server's maintenance database.
func (d *Database) exec(ctx context.Context, statement string) error {
	db, err := sql.Open("postgres", d.server.String())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, statement); err != nil {
		return fmt.Errorf("%s on %s: %w", statement, d.server.Host, err)
	}
	return nil
}
