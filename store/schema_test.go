package store_test

import (
	"context"
	"strings"
	"testing"

	"grantflow/store"
	"grantflow/store/storetest"
)

// The HTTP server and workers migrate only a schema their role owns (`make run` as the postgres
// superuser); as the application's role they refuse a database that is behind, naming the command
// that brings it up to date, and start once the owner has run it.
func TestOpenAppMigratesOnlyAsTheSchemasOwner(t *testing.T) {
	ctx := context.Background()
	storetest.CreateRoles(t)
	ownerURL := storetest.NewURL(t)
	appURL := ownerURL + "&options=-c%20role%3D" + storetest.AppRole
	if st, err := store.OpenApp(ctx, appURL, true, nil); err == nil || !strings.Contains(err.Error(), "grantflow migrate") {
		if st != nil {
			st.Close()
		}
		t.Fatalf("the application's role on an unmigrated database: %v; want refused, naming grantflow migrate", err)
	}
	owner, err := store.OpenApp(ctx, ownerURL, false, nil)
	if err == nil || !strings.Contains(err.Error(), "grantflow migrate") {
		t.Fatalf("the owner told not to migrate: %v; want refused", err)
	}
	if owner, err = store.OpenApp(ctx, ownerURL, true, nil); err != nil {
		t.Fatalf("the owner migrating: %v", err)
	}
	defer owner.Close()
	if database, embedded, err := owner.MigrationVersions(ctx); err != nil || database != embedded {
		t.Fatalf("after the owner's start: database at %d, binary %d, %v", database, embedded, err)
	}
	app, err := store.OpenApp(ctx, appURL, true, nil)
	if err != nil {
		t.Fatalf("the application's role on a current database: %v", err)
	}
	app.Close()
}
