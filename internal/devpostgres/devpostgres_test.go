package devpostgres

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestEnsureStartsPrivateCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// When we run as root, PostgreSQL runs as another user, who must be able to reach the data
	// directory: t.TempDir's parents are private to root.
	base, err := os.MkdirTemp("/tmp", "devpostgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	opts := Options{
		DataDir:  filepath.Join(base, "postgres"),
		Port:     port,
		Database: "grantflow",
		Probe:    fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}

	raw, stop, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = stop()
		}
	}()
	want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/grantflow?sslmode=disable", port)
	if raw != want {
		t.Errorf("url = %s, want %s", raw, want)
	}

	// The application database is someone else's job; the cluster's own database must answer.
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres"
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	db.Close()

	// A second runner (the first was killed without stopping it) adopts the running cluster.
	again := opts
	again.Port = freePort(t)
	raw2, _, err := Ensure(ctx, again)
	if err != nil || raw2 != want {
		t.Fatalf("second Ensure = %s, %v; want %s", raw2, err, want)
	}

	stopped = true
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		conn.Close()
		t.Fatalf("port %d still answers after stop", port)
	}
}

func TestEnsureUsesServerThatAnswers(t *testing.T) {
	const probe = "127.0.0.1:5432"
	conn, err := net.DialTimeout("tcp", probe, time.Second)
	if err != nil {
		t.Skipf("no PostgreSQL on %s: %v", probe, err)
	}
	conn.Close()
	t.Setenv("PGUSER", "")
	dataDir := filepath.Join(t.TempDir(), "postgres")

	raw, stop, err := Ensure(context.Background(), Options{DataDir: dataDir, Port: freePort(t)})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if want := "postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable"; raw != want {
		t.Errorf("url = %s, want %s", raw, want)
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data directory was created (%v): nothing should have been started", err)
	}
}

func TestEnsureNamesWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := packagedBinaries
	packagedBinaries = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { packagedBinaries = old })
	probe := fmt.Sprintf("127.0.0.1:%d", freePort(t))

	_, _, err := Ensure(context.Background(), Options{DataDir: t.TempDir(), Probe: probe})
	want := "PostgreSQL is not answering on " + probe + " and initdb/pg_ctl were not found; install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
