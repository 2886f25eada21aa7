// Package devpostgres finds or starts a PostgreSQL server for local development, for when
// DATABASE_URL is not set. It never creates the application's database itself.
package devpostgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options says where to look for PostgreSQL and where to keep a private cluster.
type Options struct {
	// DataDir holds the private cluster, its unix socket and its log; default ./.data/postgres.
	DataDir string
	// Port is the private cluster's TCP port on 127.0.0.1; default 5432.
	Port int
	// Database is the database name put in the returned URL; default grantflow.
	Database string
	// Probe is the host:port of an existing server to prefer; default 127.0.0.1:5432.
	Probe string
	// Logger receives progress messages; default slog.Default().
	Logger *slog.Logger
}

const (
	superuser = "postgres"
	logFile   = "postgres.log"
)

// packagedBinaries is where Debian and Ubuntu install each PostgreSQL version (a variable for tests).
var packagedBinaries = "/usr/lib/postgresql/*/bin"

// Ensure returns a PostgreSQL URL to use (always with an explicit sslmode). If opts.Probe answers,
// it returns postgres://<user>@<probe>/<database>?sslmode=disable, where user is $PGUSER if set,
// otherwise "postgres", and a stop func that does nothing. Otherwise it starts a private cluster
// under opts.DataDir (initdb on first use, then pg_ctl start) on 127.0.0.1:opts.Port with trust
// authentication, and returns its URL and a stop func that shuts it down.
func Ensure(ctx context.Context, opts Options) (string, func() error, error) {
	opts = withDefaults(opts)
	noop := func() error { return nil }

	if answers(ctx, opts.Probe) {
		user := os.Getenv("PGUSER")
		if user == "" {
			user = superuser
		}
		opts.Logger.Debug("using the PostgreSQL server that answers", "address", opts.Probe)
		return pgURL(user, opts.Probe, opts.Database), noop, nil
	}

	bin, err := findBinaries()
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL is not answering on %s and initdb/pg_ctl were not found; install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL", opts.Probe)
	}
	c, err := newCluster(bin, opts)
	if err != nil {
		return "", nil, err
	}
	if err := c.init(ctx); err != nil {
		return "", nil, err
	}
	if err := c.start(ctx); err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	opts.Logger.Info("started a private PostgreSQL", "address", addr, "data", c.dir, "log", filepath.Join(c.dir, logFile))
	return pgURL(superuser, addr, opts.Database), c.stop, nil
}

func withDefaults(opts Options) Options {
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join(".data", "postgres")
	}
	if opts.Port == 0 {
		opts.Port = 5432
	}
	if opts.Database == "" {
		opts.Database = "grantflow"
	}
	if opts.Probe == "" {
		opts.Probe = "127.0.0.1:5432"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return opts
}

func pgURL(user, hostPort, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(user),
		Host:     hostPort,
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func answers(ctx context.Context, address string) bool {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// findBinaries returns the directory holding initdb and pg_ctl: PATH first, then the newest
// /usr/lib/postgresql/<version>/bin.
func findBinaries() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if pgctl, err := exec.LookPath("pg_ctl"); err == nil {
			// initdb and pg_ctl must come from the same installation.
			if filepath.Dir(initdb) == filepath.Dir(pgctl) {
				return filepath.Dir(initdb), nil
			}
		}
	}
	dirs, _ := filepath.Glob(packagedBinaries)
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if isFile(filepath.Join(dir, "initdb")) && isFile(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("initdb and pg_ctl not found")
}

// versionOf reads the major version in /usr/lib/postgresql/<version>/bin; 0 if it is not a number.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// cluster is a private PostgreSQL data directory and the binaries that manage it.
type cluster struct {
	bin    string
	dir    string // absolute
	port   int
	logger *slog.Logger
	cred   *syscall.Credential // set when running as root: initdb and postgres refuse root
}

func newCluster(bin string, opts Options) (*cluster, error) {
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devpostgres: data directory: %w", err)
	}
	c := &cluster{bin: bin, dir: dir, port: opts.Port, logger: opts.Logger}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// unprivileged returns the credentials of the "postgres" user, else of "nobody".
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("devpostgres: running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// init creates the cluster unless the data directory already holds one.
func (c *cluster) init(ctx context.Context) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("devpostgres: create %s: %w", c.dir, err)
	}
	if err := c.chown(); err != nil {
		return err
	}
	if isFile(filepath.Join(c.dir, "PG_VERSION")) {
		return nil
	}
	c.logger.Info("creating a private PostgreSQL cluster", "data", c.dir)
	// --no-locale keeps initdb independent of the machine's installed locales.
	return c.run(ctx, "initdb", "-D", c.dir, "-A", "trust", "-U", superuser, "-E", "UTF8", "--no-locale")
}

// start runs the server on 127.0.0.1 only, with its unix socket in the data directory, and waits
// until it accepts connections.
func (c *cluster) start(ctx context.Context) error {
	// A dev runner killed without cleanup leaves its server running: use it.
	if c.run(ctx, "pg_ctl", "status", "-D", c.dir) == nil {
		if port, ok := runningPort(c.dir); ok {
			c.port = port
		}
		c.logger.Info("the private PostgreSQL is already running", "data", c.dir, "port", c.port)
		return nil
	}
	// pg_ctl hands -o to a shell, so the socket directory is single-quoted.
	settings := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s", c.port, shellQuote(c.dir))
	err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.dir, "-l", filepath.Join(c.dir, logFile), "-o", settings)
	if err != nil {
		return fmt.Errorf("%w (see %s)", err, filepath.Join(c.dir, logFile))
	}
	return nil
}

// runningPort reads the port from postmaster.pid, whose fourth line it is.
func runningPort(dir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

func (c *cluster) stop() error {
	return c.run(context.Background(), "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.dir)
}

// run runs one of the PostgreSQL programs, as the unprivileged user when we are root, and returns
// its output in the error if it fails.
func (c *cluster) run(ctx context.Context, program string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, program), args...)
	cmd.Dir = c.dir // the unprivileged user may not be able to enter our working directory
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("devpostgres: %s %s: %w: %s", program, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	c.logger.Debug("ran "+program, "output", strings.TrimSpace(out.String()))
	return nil
}

// chown hands the data directory to the unprivileged user when we are root.
func (c *cluster) chown() error {
	if c.cred == nil {
		return nil
	}
	uid, gid := int(c.cred.Uid), int(c.cred.Gid)
	err := filepath.WalkDir(c.dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("devpostgres: give %s to uid %d: %w", c.dir, uid, err)
	}
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Private is a PostgreSQL cluster of this process's own, never a server that happens to answer:
// the chaos harness restarts it under the running system.
type Private struct {
	c   *cluster
	URL string // postgres://postgres@127.0.0.1:<port>/<database>?sslmode=disable
}

// StartPrivate creates a cluster under opts.DataDir (initdb unless it holds one), starts it on
// 127.0.0.1:opts.Port with trust authentication and waits until it accepts connections. opts.Probe
// is not asked.
func StartPrivate(ctx context.Context, opts Options) (*Private, error) {
	opts = withDefaults(opts)
	bin, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("devpostgres: a private cluster needs initdb and pg_ctl: %w", err)
	}
	c, err := newCluster(bin, opts)
	if err != nil {
		return nil, err
	}
	if err := c.init(ctx); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return &Private{c: c, URL: pgURL(superuser, net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), opts.Database)}, nil
}

// RestartImmediate is a crash and recovery: pg_ctl restart -m immediate ends every server process
// without a checkpoint (so the restart replays the write-ahead log), then waits for the server.
func (p *Private) RestartImmediate(ctx context.Context) error {
	return p.c.run(ctx, "pg_ctl", "restart", "-w", "-t", "120", "-m", "immediate", "-D", p.c.dir, "-l", filepath.Join(p.c.dir, logFile))
}

// Stop shuts the cluster down (fast: open sessions are ended).
func (p *Private) Stop() error { return p.c.stop() }
