package main

import (
	"net"
	"strconv"
	"testing"
	"time"

	"grantflow/internal/app"
)

// The dev runner's web server answers on loopback only, unless LISTEN_HOST asks for more; the
// production default (every interface) is reachable from the machine's other addresses.
func TestDevRunnerListensOnLoopback(t *testing.T) {
	external := externalIPv4(t)
	for _, tc := range []struct {
		listenHost    string
		devRunner     bool
		wantLoopback  bool
		wantReachable bool // from the machine's own non-loopback address
	}{
		{"", true, true, false},
		{"", false, true, true},
		{"0.0.0.0", true, true, true},
	} {
		t.Setenv("LISTEN_HOST", tc.listenHost)
		t.Setenv("PORT", strconv.Itoa(freePort(t)))
		cfg, err := app.LoadConfig()
		if err != nil {
			t.Fatal(err)
		}
		if tc.devRunner {
			localOnly(&cfg)
		}
		ln, err := app.ListenHTTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(cfg.Port)
		reach := func(host string) bool {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 2*time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		}
		if got := reach("127.0.0.1"); got != tc.wantLoopback {
			t.Errorf("LISTEN_HOST=%q, dev runner %v: reachable on 127.0.0.1 %v", tc.listenHost, tc.devRunner, got)
		}
		if got := reach(external); got != tc.wantReachable {
			t.Errorf("LISTEN_HOST=%q, dev runner %v: reachable on %s %v; want %v", tc.listenHost, tc.devRunner, external, got, tc.wantReachable)
		}
		ln.Close()
	}
}

// externalIPv4 is an address of this machine other than loopback.
func externalIPv4(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no address other than loopback to test from")
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
