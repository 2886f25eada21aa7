package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"grantflow/internal/mailcatcher"
	"grantflow/notify"
	"grantflow/store"
)

// A system can deliver its outbox for real: a go-smtp mail catcher listening in the test process
// and the production notify.Sender polling the outbox against it, as `grantflow serve` runs it. A
// test turns it on with startMail; other tests leave the messages in the outbox, as before.

// mailFrom is the sender's MAIL_FROM in tests.
const mailFrom = "Grantflow <grants@opcc.example>"

// mailServer is the SMTP server in the test process, with switches that make it refuse mail
// (451, try again later) or drop each connection as soon as it is made.
type mailServer struct {
	*mailcatcher.Catcher
	sys     *system
	refuse  atomic.Bool
	refused atomic.Int32
	drop    atomic.Bool
	dropped atomic.Int32
}

// startMail starts the SMTP server on 127.0.0.1:0 and a sender polling the outbox every 20ms, with
// short backoffs so a refusal delays mail by milliseconds, not minutes. Both stop when the test ends,
// the sender first (it finishes and records the batch in hand).
func (s *system) startMail(t testing.TB) *mailServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailServer{Catcher: mailcatcher.New(), sys: s}
	if err := m.Serve(&droppingListener{Listener: ln, m: m}, m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	settings := notify.SMTPSettings{Host: host}
	fmt.Sscan(port, &settings.Port)
	sender := &notify.Sender{Store: s.Store, SMTP: settings, From: mailFrom, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
		Poll: 20 * time.Millisecond, Backoff: 25 * time.Millisecond, MaxBackoff: 250 * time.Millisecond,
		MaxAttempts: 1000, // an outage in a test lasts seconds: never give a message up for failed
		Lease:       time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sender.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// NewSession implements smtp.Backend: the catcher's session, refusing while refuse is set.
func (m *mailServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s, err := m.Catcher.NewSession(c)
	return &refusingSession{Session: s, m: m}, err
}

type refusingSession struct {
	smtp.Session
	m *mailServer
}

func (s *refusingSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.m.refuse.Load() {
		s.m.refused.Add(1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	return s.Session.Mail(from, opts)
}

// droppingListener closes each connection as soon as it is accepted while drop is set.
type droppingListener struct {
	net.Listener
	m *mailServer
}

func (d *droppingListener) Accept() (net.Conn, error) {
	for {
		c, err := d.Listener.Accept()
		if err != nil || !d.m.drop.Load() {
			return c, err
		}
		d.m.dropped.Add(1)
		c.Close()
	}
}

// settle waits until nothing in the outbox is waiting to be sent and every sent message has
// arrived, then a little longer so that anything sent twice would have arrived too. It returns
// every message's delivery record.
func (m *mailServer) settle(t testing.TB) []store.MessageStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := m.sys.Store.MessageStatuses(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		waiting := slices.ContainsFunc(list, func(s store.MessageStatus) bool { return s.Status == "pending" })
		if !waiting && len(m.Messages()) >= countStatus(list, "sent") {
			time.Sleep(200 * time.Millisecond) // ten polls: a duplicate would be here by now
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox did not empty: %d messages arrived; records %+v", len(m.Messages()), list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countStatus(list []store.MessageStatus, status string) int {
	n := 0
	for _, s := range list {
		if s.Status == status {
			n++
		}
	}
	return n
}

// arrival is when a message reached the server, by its Message-ID.
func (m *mailServer) arrival(key, address string) (mailcatcher.Message, bool) {
	id := notify.MessageID(key, address, mailFrom)
	for _, msg := range m.Messages() {
		if msg.MessageID == id {
			return msg, true
		}
	}
	return mailcatcher.Message{}, false
}

// mailDelays are how long each sent message took from its fact (the time the workflow recorded it,
// which is the message's created_at) to its arrival at the SMTP server.
func (m *mailServer) mailDelays(t testing.TB) []time.Duration {
	t.Helper()
	var rows []struct {
		Key       string    `db:"notification_key"`
		Address   string    `db:"address"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := m.sys.Store.DB.Select(&rows, `SELECT notification_key, address, created_at FROM messages WHERE status = 'sent'`); err != nil {
		t.Fatal(err)
	}
	var delays []time.Duration
	for _, r := range rows {
		msg, ok := m.arrival(r.Key, r.Address)
		if !ok {
			t.Errorf("message %s to %s is recorded sent but never arrived", r.Key, r.Address)
			continue
		}
		delays = append(delays, msg.ReceivedAt.Sub(r.CreatedAt))
	}
	return delays
}

// logDelays logs the delays' median and 99th percentile in one fixed format, for the closing note.
func logDelays(t testing.TB, what string, delays []time.Duration) {
	t.Helper()
	if len(delays) == 0 {
		t.Logf("mail delay (%s): n=0", what)
		return
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	pct := func(p float64) time.Duration { return delays[min(len(delays)-1, int(p*float64(len(delays)-1)+0.5))] }
	t.Logf("mail delay (%s): n=%d p50=%v p99=%v max=%v", what, len(delays), pct(0.50).Round(time.Millisecond),
		pct(0.99).Round(time.Millisecond), delays[len(delays)-1].Round(time.Millisecond))
}

var (
	textLink = regexp.MustCompile(`https?://[^\s<>"]+`)
	hrefLink = regexp.MustCompile(`href="([^"]*)"`)
)

// links are every link in a message, its text and its HTML.
func links(msg mailcatcher.Message) []string {
	var list []string
	list = append(list, textLink.FindAllString(msg.Text, -1)...)
	for _, m := range hrefLink.FindAllStringSubmatch(msg.HTML, -1) {
		list = append(list, htmlUnescape(m[1]))
	}
	return list
}

// checkLinks opens every link in the message, signed in as reader, and fails unless each is
// absolute to the public base URL and answers 200 at the page it names (not a sign-in page, a
// refusal or a not-found page).
func checkLinks(t *testing.T, msg mailcatcher.Message, reader *webUser) {
	t.Helper()
	list := links(msg)
	if len(list) == 0 {
		t.Errorf("%q to %v has no link", msg.Subject, msg.To)
	}
	for _, link := range list {
		path, ok := strings.CutPrefix(link, publicBaseURL)
		if !ok || !strings.HasPrefix(path, "/") {
			t.Errorf("%q to %v links to %q, not an absolute address on %s", msg.Subject, msg.To, link, publicBaseURL)
			continue
		}
		p := reader.get(path)
		if p.Status != http.StatusOK || p.Path != path {
			t.Errorf("%q to %v: its link %s answered %d at %s, want 200 at %s", msg.Subject, msg.To, link, p.Status, p.Path, path)
		}
	}
}
