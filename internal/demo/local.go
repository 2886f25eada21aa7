package demo

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/lib/pq"
)

// CheckLocalDatabase refuses a database that is not on this machine: the demo accounts share a
// published password and second-factor secret, so seeding them anywhere another person can reach
// would open that database to anyone who has read the README. The connection string is read by
// the driver the store connects with (lib/pq: URL or key=value form, PGHOST and the rest of the
// environment, several hosts), so the check sees the hosts the connection would use.
func CheckLocalDatabase(databaseURL string) error {
	cfg, err := pq.NewConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	hosts := []pq.ConfigMultihost{{Host: cfg.Host, Hostaddr: cfg.Hostaddr, Port: cfg.Port}}
	for _, h := range append(hosts, cfg.Multi...) {
		if where, ok := localHost(h); !ok {
			return fmt.Errorf("DATABASE_URL points at %s, which is not this machine: the dev runner seeds demo accounts "+
				"whose password and second-factor secret are published, so it runs only against a local database "+
				"(127.0.0.1, ::1, localhost or a unix socket). Forward a remote database to 127.0.0.1 (ssh -L) if it is yours "+
				"to fill with demo data; run the production binary (cmd/grantflow) otherwise", where)
		}
	}
	return nil
}

// localHost reports whether the connection to h stays on this machine, and names h.
func localHost(h pq.ConfigMultihost) (string, bool) {
	if h.Hostaddr.IsValid() { // the address connected to; host is then only a name for TLS
		return h.Hostaddr.String(), h.Hostaddr.Unmap().IsLoopback()
	}
	switch {
	case strings.HasPrefix(h.Host, "/") || strings.HasPrefix(h.Host, "@"): // a unix socket, or an abstract one
		return h.Host, true
	case strings.EqualFold(h.Host, "localhost"):
		return h.Host, true
	}
	addr, err := netip.ParseAddr(strings.Trim(h.Host, "[]"))
	return h.Host, err == nil && addr.Unmap().IsLoopback()
}
