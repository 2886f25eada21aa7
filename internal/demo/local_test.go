package demo

import (
	"os"
	"strings"
	"testing"
)

// The dev runner seeds demo accounts only into a database on this machine, whichever form the
// connection string takes.
func TestCheckLocalDatabase(t *testing.T) {
	for _, name := range []string{"PGHOST", "PGHOSTADDR", "PGPORT", "PGSERVICE", "PGSERVICEFILE"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	for _, tc := range []struct {
		url   string
		local bool
	}{
		{"postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable", true},
		{"postgresql://postgres@localhost/grantflow?sslmode=require", true},
		{"postgres://postgres@LOCALHOST:5433/grantflow", true},
		{"postgres://postgres@[::1]:5432/grantflow?sslmode=disable", true},
		{"postgres://postgres@127.0.0.2/grantflow", true},
		{"postgres:///grantflow?host=/var/run/postgresql", true},
		{"host=/var/run/postgresql dbname=grantflow user=postgres", true},
		{"host=/tmp dbname=grantflow sslmode=disable", true},
		{"dbname=grantflow sslmode=disable", true}, // no host: lib/pq's default, localhost
		{"host=::1 port=5432 dbname=grantflow", true},
		{"host=127.0.0.1,localhost dbname=grantflow", true},
		{"host=db.example.org hostaddr=127.0.0.1 dbname=grantflow", true}, // hostaddr is where it connects

		{"postgres://postgres@db.example.org:5432/grantflow?sslmode=verify-full", false},
		{"postgres://grantflow_app:secret@10.0.0.5/grantflow?sslmode=disable", false},
		{"postgres://postgres@[2001:db8::5]:5432/grantflow", false},
		{"postgres://postgres@0.0.0.0/grantflow", false},
		{"host=db.internal dbname=grantflow user=postgres sslmode=disable", false},
		{"host=localhost,db.example.org dbname=grantflow", false}, // a fallback host elsewhere
		{"host=localhost hostaddr=192.0.2.7 dbname=grantflow", false},
		{"postgres://postgres@localhost.example.org/grantflow", false},
	} {
		err := CheckLocalDatabase(tc.url)
		switch {
		case tc.local && err != nil:
			t.Errorf("%s: refused as not local: %v", tc.url, err)
		case !tc.local && err == nil:
			t.Errorf("%s: accepted as local", tc.url)
		case !tc.local && !strings.Contains(err.Error(), "DATABASE_URL points at") && !strings.Contains(err.Error(), "not this machine"):
			t.Errorf("%s: unclear refusal %v", tc.url, err)
		}
	}

	// PGHOST stands in for a missing host, as it does for the connection itself.
	t.Setenv("PGHOST", "db.example.org")
	if err := CheckLocalDatabase("dbname=grantflow sslmode=disable"); err == nil || !strings.Contains(err.Error(), "db.example.org") {
		t.Errorf("PGHOST=db.example.org: %v; want a refusal naming the host", err)
	}

	if err := CheckLocalDatabase("postgres://postgres@127.0.0.1:notaport/grantflow"); err == nil || !strings.HasPrefix(err.Error(), "DATABASE_URL: ") {
		t.Errorf("a malformed URL: %v; want an error naming DATABASE_URL", err)
	}
}
