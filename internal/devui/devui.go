// Package devui serves the Temporal Web UI inside the local development process, pointed at the
// dev runner's Temporal frontend, as the Temporal CLI's `server start-dev` does: the UI's own
// server (github.com/temporalio/ui-server) with its assets built in, so nothing is downloaded.
//
// It is for local development only: the production binary must never import it (it pulls in the
// UI's assets and web server); operators run the temporalio/ui image beside their cluster instead.
package devui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// DefaultAddress is where the UI listens unless told otherwise: the CLI's port (the frontend's
// 7233 plus 1000), on loopback only.
const DefaultAddress = "127.0.0.1:8233"

// Options configures the UI.
type Options struct {
	// Address is the host:port to listen on; DefaultAddress when empty. The host must be an IP
	// address or localhost.
	Address string
	// TemporalAddress is the frontend's gRPC host:port the UI talks to.
	TemporalAddress string
	// Namespace is the one the UI opens on; "default" when empty.
	Namespace string
}

// Server is a running Web UI.
type Server struct {
	ui        *uiserver.Server
	base      string
	namespace string
}

// CheckAddress parses a listen address for the UI: host:port with an IP address or localhost and a
// port from 1 to 65535. The error says what is wrong, for the caller to prefix with its variable.
func CheckAddress(address string) (host string, port int, err error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, fmt.Errorf("must be host:port, such as %s, not %q", DefaultAddress, address)
	}
	port, err = strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("must end with a port from 1 to 65535, not %q", address)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("must name an IP address (or localhost) to listen on, not %q", address)
	}
	return host, port, nil
}

// Start serves the UI and returns once it answers. The address must be free: the UI's server
// exits the process if it cannot listen, so Start checks first and says so as an error instead.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Address == "" {
		opts.Address = DefaultAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.TemporalAddress == "" {
		return nil, errors.New("devui: Options.TemporalAddress is required")
	}
	host, port, err := CheckAddress(opts.Address)
	if err != nil {
		return nil, fmt.Errorf("devui: address %w", err)
	}
	listen := net.JoinHostPort(host, strconv.Itoa(port))
	if l, err := net.Listen("tcp", listen); err != nil {
		return nil, fmt.Errorf("devui: %s is in use (%v): is another Temporal UI running?", listen, err)
	} else {
		l.Close()
	}
	ui := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: opts.TemporalAddress,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		// Plain HTTP on loopback: the UI's CSRF cookie must travel without TLS.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
		// The UI otherwise fetches Temporal's news feed from the internet on every page.
		DisableNewsFetch: true,
	}))
	failed := make(chan error, 1)
	go func() { failed <- ui.Start() }()

	s := &Server{ui: ui, base: "http://" + browserHost(host, port), namespace: opts.Namespace}
	if err := s.waitReady(ctx, listen, failed); err != nil {
		ui.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls the UI's health check: Stop before the listener is up would leave it serving.
func (s *Server) waitReady(ctx context.Context, listen string, failed <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/healthz", nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-failed:
			return fmt.Errorf("devui: the UI server stopped at once: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("devui: the UI at %s did not answer: %w", listen, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// browserHost is what a person types: localhost for loopback (the welcome's other links say
// localhost too), the IP otherwise.
func browserHost(host string, port int) string {
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// URL is the UI's base address, such as http://localhost:8233: TEMPORAL_UI_URL for links.
func (s *Server) URL() string { return s.base }

// WorkflowsURL lists the namespace's running workflows.
func (s *Server) WorkflowsURL() string {
	q := url.Values{"query": {`ExecutionStatus="Running"`}}
	return s.base + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows?" + q.Encode()
}

// Stop closes the UI's server.
func (s *Server) Stop() { s.ui.Stop() }
