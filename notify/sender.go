package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"grantflow/store"
)

// SMTPSettings is where the sender delivers mail, from SMTP_URL.
type SMTPSettings struct {
	Host     string
	Port     int
	Implicit bool // smtps://: TLS from the first byte; otherwise STARTTLS when the server offers it
	Username string
	Password string
}

// ParseSMTPURL reads smtp://user:pass@host:port (STARTTLS when offered; port 587 by default) or
// smtps://user:pass@host:port (implicit TLS; port 465 by default).
func ParseSMTPURL(raw string) (SMTPSettings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPSettings{}, fmt.Errorf("not a URL such as smtp://user:password@host:587: %v", err)
	}
	s := SMTPSettings{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.Implicit = 465, true
	default:
		return SMTPSettings{}, fmt.Errorf("the scheme must be smtp (STARTTLS) or smtps (implicit TLS), not %q", u.Scheme)
	}
	if s.Host == "" {
		return SMTPSettings{}, errors.New("a host is required, as in smtp://user:password@host:587")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port <= 0 || s.Port > 65535 {
			return SMTPSettings{}, fmt.Errorf("the port must be a number from 1 to 65535, not %q", p)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// clientOptions are go-mail's options for these settings: implicit TLS for smtps, otherwise
// STARTTLS whenever the server offers it (opportunistic, so a local catcher without TLS works);
// authentication only when a user is given.
func (s SMTPSettings) clientOptions() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(30 * time.Second)}
	if s.Implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	return opts
}

// Sender delivers the outbox over SMTP. Any number of senders may run: each claims a batch with a
// lease, so none waits for another and a message whose sender died is claimed again once its lease
// runs out.
//
// Delivery is at least once on the wire and once per Message-ID: a message's Message-ID is derived
// from its notification key and address, so the one case that sends again (the server accepted
// the message, then the sender died before recording it, and the lease ran out) carries the same
// Message-ID, which mail servers and clients treat as the same message. A recorded send is never
// claimed again.
type Sender struct {
	Store  *store.Store
	SMTP   SMTPSettings
	From   string // MAIL_FROM
	Logger *slog.Logger

	Batch       int           // messages claimed at once; default 50
	Lease       time.Duration // how long a claim lasts; default 2 minutes (well beyond a batch's SMTP timeouts)
	Poll        time.Duration // wait when the outbox is empty; default 2 seconds
	Backoff     time.Duration // wait after the first temporary failure, doubling each time; default 30 seconds
	MaxBackoff  time.Duration // longest wait between attempts; default 1 hour
	MaxAttempts int           // attempts before a message is marked failed; default 12 (about a day with the defaults)

	// afterAccepted, in tests, runs after the server accepted a message and before it is recorded;
	// an error stops the batch there, as a crash would.
	afterAccepted func(store.OutboxMessage) error
}

func (s *Sender) defaults() {
	if s.Batch <= 0 {
		s.Batch = 50
	}
	if s.Lease <= 0 {
		s.Lease = 2 * time.Minute
	}
	if s.Poll <= 0 {
		s.Poll = 2 * time.Second
	}
	if s.Backoff <= 0 {
		s.Backoff = 30 * time.Second
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = time.Hour
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 12
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends, then returns once the batch in hand is recorded.
func (s *Sender) Run(ctx context.Context) error {
	s.defaults()
	for {
		n, err := s.SendPending(context.WithoutCancel(ctx)) // a batch in hand is finished and recorded, not abandoned
		if err != nil {
			s.Logger.Warn("outbox: sending failed", "error", err)
		}
		if n > 0 && err == nil {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.Poll):
		}
	}
}

// SendPending claims one batch of due messages, sends them over one connection and records each
// outcome. It returns how many it claimed.
func (s *Sender) SendPending(ctx context.Context) (int, error) {
	s.defaults()
	batch, err := s.Store.ClaimMessages(ctx, s.Batch, s.Lease)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	client, err := gomail.NewClient(s.SMTP.Host, s.SMTP.clientOptions()...)
	if err != nil {
		return len(batch), s.retryAll(ctx, batch, err)
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = client.DialWithContext(dialCtx)
	cancel()
	if err != nil {
		return len(batch), s.retryAll(ctx, batch, fmt.Errorf("connect to %s: %w", client.ServerAddr(), err))
	}
	defer client.Close()
	for i, m := range batch {
		msg, err := s.build(m)
		if err != nil {
			if rerr := s.Store.MarkFailed(ctx, m, err.Error()); rerr != nil {
				return len(batch), rerr
			}
			continue
		}
		if err := client.Send(msg); err != nil {
			if isConnectionLost(err) {
				// The connection is gone: this and the rest wait for the next attempt.
				return len(batch), s.retryAll(ctx, batch[i:], err)
			}
			if err := s.recordFailure(ctx, m, msg, err); err != nil {
				return len(batch), err
			}
			continue
		}
		if s.afterAccepted != nil {
			if err := s.afterAccepted(m); err != nil {
				return len(batch), err
			}
		}
		if err := s.Store.MarkSent(ctx, m, msg.ServerResponse()); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// build is the e-mail for an outbox message.
func (s *Sender) build(m store.OutboxMessage) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q: %w", s.From, err)
	}
	if err := msg.To(m.Address); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.Address, err)
	}
	msg.SetMessageIDWithValue(MessageID(m.NotificationKey, m.Address, s.From))
	msg.SetDateWithValue(m.CreatedAt)
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// MessageID is the Message-ID of a notification's message to an address: the same on every
// attempt, so a resend is recognised as the same message. It is a hash, so the key's text (which
// names workflows) is not exposed. go-mail adds the angle brackets.
func MessageID(notificationKey, address, from string) string {
	sum := sha256.Sum256([]byte(notificationKey + "\x00" + strings.ToLower(address)))
	domain := "grantflow.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 && at < len(a.Address)-1 {
			domain = a.Address[at+1:]
		}
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// recordFailure retries a temporary refusal after a backoff and fails a permanent one (or one tried
// too often), keeping the server's answer either way.
func (s *Sender) recordFailure(ctx context.Context, m store.OutboxMessage, msg *gomail.Msg, err error) error {
	answer := err.Error()
	if se := msg.SendError(); se != nil {
		answer = se.Error()
	}
	if msg.SendErrorIsTemp() && m.Attempts < s.MaxAttempts {
		s.Logger.Info("outbox: message refused for now; will retry", "message", m.ID, "attempt", m.Attempts, "answer", answer)
		return s.Store.MarkRetry(ctx, m, answer, s.backoff(m.Attempts))
	}
	s.Logger.Warn("outbox: message failed", "message", m.ID, "to", m.Address, "attempt", m.Attempts, "answer", answer)
	return s.Store.MarkFailed(ctx, m, answer)
}

func (s *Sender) retryAll(ctx context.Context, batch []store.OutboxMessage, cause error) error {
	s.Logger.Info("outbox: server unavailable; will retry", "messages", len(batch), "error", cause)
	for _, m := range batch {
		var err error
		if m.Attempts < s.MaxAttempts {
			err = s.Store.MarkRetry(ctx, m, cause.Error(), s.backoff(m.Attempts))
		} else {
			err = s.Store.MarkFailed(ctx, m, cause.Error())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// backoff doubles from Backoff with each attempt, up to MaxBackoff.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.Backoff
	for i := 1; i < attempts && d < s.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.MaxBackoff)
}

// isConnectionLost tells a dropped connection (retry the rest of the batch later) from the
// server's answer refusing one message, which carries a 4xx or 5xx reply code.
func isConnectionLost(err error) bool {
	var se *gomail.SendError
	return !errors.As(err, &se) || se.ErrorCode() == 0
}
