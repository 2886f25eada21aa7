// Package devtemporal runs a real Temporal server inside the local development process, backed by a
// SQLite file, or by PostgreSQL as a production cluster is, so that workflows, timers and search
// attributes survive restarts.
//
// It is for local development only: the production binary talks to an external Temporal cluster
// through the SDK and must never import this package (it pulls in the whole Temporal server).
package devtemporal

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/primitives/timestamp"
	"go.temporal.io/server/common/rpc/encryption"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	defaultAddress   = "127.0.0.1:7233"
	defaultNamespace = "default"
	retention        = 7 * 24 * time.Hour
	clusterName      = "active"
	loopback         = "127.0.0.1"

	// namespaceRefresh is how long the server's namespace cache may take to see a namespace
	// update (the dynamic config default of system.namespaceCacheRefreshInterval is 2 s).
	namespaceRefresh = 3 * time.Second
)

// Options configures the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file holding all server state, e.g. ./.data/temporal.db. It is
	// created, with its directory, if missing; an existing file is reused as it is.
	DatabaseFile string
	// PostgresURL, when set, keeps the state in PostgreSQL instead of DatabaseFile:
	// postgres://user:password@host:5432/temporal?sslmode=disable. The database in the path
	// (default temporal) and its visibility database (the same name + "_visibility") are created
	// if missing, and their schemas set up or brought up to date by the server's own SQL schema tool.
	PostgresURL string
	// Address is the host:port the frontend gRPC service listens on; default 127.0.0.1:7233.
	Address string
	// Namespace is created if missing (7 days' retention); default "default".
	Namespace string
	// SearchAttributes are custom search attributes registered on Namespace. Registration is
	// idempotent: attributes already present with the same type are left alone.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's logs at WARN and above; default slog.Default().
	Logger *slog.Logger
	// TLS, when set, is the frontend's server side: it then accepts only TLS, and with ClientAuth
	// set to tls.RequireAndVerifyClientCert only clients with a certificate (mutual TLS). The
	// services behind it talk over loopback in plaintext. Tests of a client's TLS use it.
	TLS *tls.Config
	// ClientTLS is what the server's own clients (its system worker, the readiness check) dial
	// the frontend with when TLS is set: trusting its certificate, and with one of their own
	// under mutual TLS.
	ClientTLS *tls.Config
	// FrontendInterceptors see every call the frontend answers (tests check what a client sends).
	FrontendInterceptors []grpc.UnaryServerInterceptor
}

// Server is a running embedded Temporal server.
type Server struct {
	address   string
	namespace string
	server    temporal.Server
	phase     *atomic.Int32 // what serverLogger lets through
	stopOnce  sync.Once
	stopErr   error
	clientTLS *tls.Config
}

// Start opens (or creates) the SQLite or PostgreSQL databases, starts every Temporal service in
// process, waits until the frontend answers and makes sure the namespace and its search attributes
// exist.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DatabaseFile == "" && opts.PostgresURL == "" {
		return nil, errors.New("devtemporal: Options.DatabaseFile or Options.PostgresURL is required")
	}
	if opts.Address == "" {
		opts.Address = defaultAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = defaultNamespace
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if (opts.TLS == nil) != (opts.ClientTLS == nil) {
		return nil, errors.New("devtemporal: Options.TLS and Options.ClientTLS go together")
	}
	logger := slog.New(minLevel{Handler: opts.Logger.Handler(), min: slog.LevelWarn})

	host, frontendPort, err := splitAddress(opts.Address)
	if err != nil {
		return nil, err
	}
	if err := checkFree(opts.Address); err != nil {
		return nil, err
	}
	// The other services only talk to each other in process, so any free ports will do.
	ports, err := freePorts(3, frontendPort)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: pick ports for history, matching and worker: %w", err)
	}

	phase := new(atomic.Int32)
	var persistence config.Persistence
	if opts.PostgresURL != "" {
		persistence, err = openPostgres(opts.PostgresURL, serverLogger{l: logger, phase: phase})
	} else {
		persistence, err = openSQLite(opts.DatabaseFile, opts.Namespace, opts.SearchAttributes)
	}
	if err != nil {
		return nil, err
	}

	cfg, hosts := serverConfig(persistence, host, frontendPort, ports)
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(serverLogger{l: logger, phase: phase}),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithTLSConfigFactory(&encryption.FixedTLSConfigProvider{FrontendServerConfig: opts.TLS, FrontendClientConfig: opts.ClientTLS}),
		temporal.WithChainedFrontendGrpcInterceptors(opts.FrontendInterceptors...),
	)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: build server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devtemporal: start server: %w", err)
	}
	s := &Server{address: cfg.PublicClient.HostPort, namespace: opts.Namespace, server: srv, phase: phase, clientTLS: opts.ClientTLS}

	if err := s.ready(ctx, logger, opts.SearchAttributes); err != nil {
		_ = s.Stop()
		return nil, err
	}
	phase.Store(running)
	return s, nil
}

// Address returns the frontend's host:port, for client.Options.HostPort.
func (s *Server) Address() string { return s.address }

// Namespace returns the namespace that Start made sure exists.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts every service down; the state stays in the database file. It is safe to call twice.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.phase.Store(stopping)
		s.stopErr = s.server.Stop()
	})
	return s.stopErr
}

// ready waits for the frontend to answer, registers the namespace if it is missing (openSQLite
// wrote it already; PostgreSQL starts without it), then any search attribute that the namespace
// lacks. Attributes in a fresh SQLite namespace are already there (createNamespace wrote them);
// this covers PostgreSQL and attributes added to Options after the database was first created.
func (s *Server) ready(ctx context.Context, logger *slog.Logger, want map[string]enumspb.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var c client.Client
	for {
		var err error
		c, err = client.DialContext(ctx, client.Options{
			HostPort:          s.address,
			Namespace:         s.namespace,
			Logger:            sdklog.NewStructuredLogger(logger),
			ConnectionOptions: client.ConnectionOptions{TLS: s.clientTLS},
		})
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devtemporal: frontend at %s did not answer: %w", s.address, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer c.Close()
	if err := s.registerNamespace(ctx, c); err != nil {
		return err
	}

	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.namespace})
	if err != nil {
		return fmt.Errorf("devtemporal: list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		have, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			return fmt.Errorf("devtemporal: search attribute %s is already registered as %s, not %s; use a new name or a new database file", name, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        s.namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("devtemporal: add search attributes: %w", err)
	}
	// History validates upserts against its cached copy of the namespace: let it refresh.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(namespaceRefresh):
	}
	return nil
}

// registerNamespace creates the namespace through the frontend, with 7 days' retention, unless it
// exists.
func (s *Server) registerNamespace(ctx context.Context, c client.Client) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace})
	var notFound *serviceerror.NamespaceNotFound
	if !errors.As(err, &notFound) {
		return err
	}
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        s.namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("devtemporal: register namespace %s: %w", s.namespace, err)
	}
	// The services find a namespace through their caches: let them refresh.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(namespaceRefresh):
	}
	return nil
}

// openSQLite returns the persistence configuration for file, creating the file, its directory, the
// Temporal schema and the namespace when the file is new.
func openSQLite(file, namespace string, attrs map[string]enumspb.IndexedValueType) (config.Persistence, error) {
	cfg, err := openDatabase(file)
	if err != nil {
		return config.Persistence{}, err
	}
	if err := createNamespace(cfg, namespace, attrs); err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: cfg}},
	}, nil
}

// openDatabase returns the SQLite config for file, creating the file, its directory and the
// Temporal schema when the file is new.
func openDatabase(file string) (*config.SQL, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, fmt.Errorf("devtemporal: create database directory: %w", err)
	}
	cfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      file,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	}
	info, err := os.Stat(file)
	switch {
	case err == nil && info.Size() > 0:
		return cfg, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("devtemporal: %w", err)
	}
	if err := sqlite.SetupSchema(cfg); err != nil {
		return nil, fmt.Errorf("devtemporal: create schema in %s: %w", file, err)
	}
	return cfg, nil
}

// createNamespace writes the namespace, with its search attributes mapped onto the SQLite
// visibility columns, straight into the database; it does nothing if the namespace exists.
func createNamespace(cfg *config.SQL, name string, attrs map[string]enumspb.IndexedValueType) error {
	ns, err := sqlite.NewNamespaceConfig(clusterName, name, false, attrs)
	if err != nil {
		return fmt.Errorf("devtemporal: namespace %s: %w", name, err)
	}
	ns.Detail.Config.Retention = timestamp.DurationPtr(retention)
	if err := sqlite.CreateNamespaces(cfg, ns); err != nil {
		return fmt.Errorf("devtemporal: create namespace %s: %w", name, err)
	}
	return nil
}

// serverConfig builds a single-node configuration on the given stores: static membership (no gossip
// ports, and no stale members left in the database by an earlier run), no metrics or pprof
// listeners, archival off.
func serverConfig(persistence config.Persistence, host string, frontendPort int, ports []int) (*config.Config, map[primitives.ServiceName]static.Hosts) {
	frontend := net.JoinHostPort(dialHost(host), strconv.Itoa(frontendPort))
	services := map[primitives.ServiceName]int{
		primitives.FrontendService: frontendPort,
		primitives.HistoryService:  ports[0],
		primitives.MatchingService: ports[1],
		primitives.WorkerService:   ports[2],
	}
	cfg := &config.Config{
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            map[string]config.Service{},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The system worker reaches the frontend through this address.
		PublicClient: config.PublicClient{HostPort: frontend},
	}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback}

	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, port := range services {
		// Only the frontend listens on the requested host; the rest stay on loopback.
		bind, self := loopback, net.JoinHostPort(loopback, strconv.Itoa(port))
		if name == primitives.FrontendService {
			bind, self = host, frontend
		}
		hosts[name] = static.Hosts{All: []string{self}, Self: self}
		cfg.Services[string(name)] = config.Service{RPC: config.RPC{BindOnIP: bind, GRPCPort: port}}
	}
	return cfg, hosts
}

// dialHost is the address a local client uses to reach a listener bound on host.
func dialHost(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return loopback
	}
	return host
}

// splitAddress parses host:port; "localhost" and an empty host mean 127.0.0.1.
func splitAddress(address string) (string, int, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, fmt.Errorf("devtemporal: address %q: %w", address, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("devtemporal: address %q: bad port", address)
	}
	if host == "" || host == "localhost" {
		host = loopback
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("devtemporal: address %q: host must be an IP address", address)
	}
	return host, port, nil
}

// AddressInUseError reports that the frontend address is taken, usually by another Temporal server.
type AddressInUseError struct {
	Address string
	Err     error
}

func (e *AddressInUseError) Error() string {
	return e.Address + " is in use: is another Temporal server running? set TEMPORAL_ADDRESS to use it"
}

func (e *AddressInUseError) Unwrap() error { return e.Err }

func checkFree(address string) error {
	l, err := net.Listen("tcp", address)
	if err != nil {
		return &AddressInUseError{Address: address, Err: err}
	}
	return l.Close()
}

// freePorts asks the kernel for n distinct free loopback ports, none equal to avoid.
func freePorts(n, avoid int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l) // held open until all are picked, so none repeats
		port := l.Addr().(*net.TCPAddr).Port
		if port != avoid && !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// FreeAddress is a loopback host:port nothing listens on at the moment it is asked, for
// Options.Address when any port will do.
func FreeAddress() (string, error) {
	ports, err := freePorts(1, 0)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(loopback, strconv.Itoa(ports[0])), nil
}

// Phases of the server, for serverLogger.
const (
	starting int32 = iota
	running
	stopping
)

// serverLogger hands the server's log lines at WARN and above to slog; the server logs a great
// deal at INFO that is of no use while developing the application. While its services start
// one by one they warn about each other being unreachable, and while they stop they report every
// cancelled poll and query: only errors get through while starting, and nothing while stopping.
type serverLogger struct {
	l     *slog.Logger
	phase *atomic.Int32
}

func (g serverLogger) Debug(string, ...tag.Tag) {}
func (g serverLogger) Info(string, ...tag.Tag)  {}
func (g serverLogger) Warn(msg string, tags ...tag.Tag) {
	g.log(slog.LevelWarn, msg, tags)
}
func (g serverLogger) Error(msg string, tags ...tag.Tag) {
	g.log(slog.LevelError, msg, tags)
}
func (g serverLogger) DPanic(msg string, tags ...tag.Tag) {
	g.log(slog.LevelError, msg, tags)
}
func (g serverLogger) Panic(msg string, tags ...tag.Tag) {
	g.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (g serverLogger) Fatal(msg string, tags ...tag.Tag) {
	g.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

func (g serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	switch g.phase.Load() {
	case stopping:
		return
	case starting:
		if level < slog.LevelError {
			return
		}
	}
	attrs := make([]slog.Attr, 0, len(tags)+1)
	attrs = append(attrs, slog.String("component", "temporal"))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	g.l.LogAttrs(context.Background(), level, msg, attrs...)
}

// minLevel drops records below min before they reach the wrapped handler.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min && h.Handler.Enabled(ctx, level)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
