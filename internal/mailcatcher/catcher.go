// Package mailcatcher is a local SMTP server (github.com/emersion/go-smtp) that keeps what it
// receives in memory, with a small web inbox to read it. The dev runner serves it so a person trying
// the demo sees each e-mail arrive; the tests deliver to it. It is never part of production.
package mailcatcher

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one e-mail as received.
type Message struct {
	ID         int // position in the inbox, from 1
	MessageID  string
	From       string
	To         []string
	Subject    string
	Text       string
	HTML       string
	ReceivedAt time.Time
	// Deliveries counts how often a message with this Message-ID arrived: more than one means the
	// sender sent it again, which a mailbox shows once.
	Deliveries int
}

// Catcher receives mail. Messages with the same Message-ID are kept once, as a mailbox shows them,
// and counted.
type Catcher struct {
	mu       sync.Mutex
	messages []*Message
	byID     map[string]*Message
	arrived  chan struct{}
	server   *smtp.Server
	ln       net.Listener
}

// New makes an empty catcher.
func New() *Catcher {
	return &Catcher{byID: map[string]*Message{}, arrived: make(chan struct{}, 1)}
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves SMTP until Close.
func (c *Catcher) Start(addr string) error {
	return c.StartWith(addr, c)
}

// StartWith serves SMTP through backend, which may wrap the catcher (tests make it refuse).
func (c *Catcher) StartWith(addr string, backend smtp.Backend) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mail catcher: listen on %s: %w", addr, err)
	}
	return c.Serve(ln, backend)
}

// Serve serves SMTP on ln through backend until Close.
func (c *Catcher) Serve(ln net.Listener, backend smtp.Backend) error {
	c.ln = ln
	c.server = smtp.NewServer(backend)
	c.server.Domain = "localhost"
	c.server.AllowInsecureAuth = true // a local catcher: any user and password are accepted
	c.server.ReadTimeout = time.Minute
	c.server.WriteTimeout = time.Minute
	c.server.MaxMessageBytes = 10 << 20
	go c.server.Serve(ln)
	return nil
}

// Addr is where the catcher listens.
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// Close stops the server.
func (c *Catcher) Close() error {
	if c.server == nil {
		return nil
	}
	return c.server.Close()
}

// Messages lists what arrived, oldest first.
func (c *Catcher) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := make([]Message, len(c.messages))
	for i, m := range c.messages {
		list[i] = *m
	}
	return list
}

// Message is the message at position id (from 1).
func (c *Catcher) Message(id int) (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < 1 || id > len(c.messages) {
		return Message{}, false
	}
	return *c.messages[id-1], true
}

// WaitFor waits until at least n distinct messages have arrived or ctx ends.
func (c *Catcher) WaitFor(ctx context.Context, n int) ([]Message, error) {
	for {
		if list := c.Messages(); len(list) >= n {
			return list, nil
		}
		select {
		case <-ctx.Done():
			return c.Messages(), fmt.Errorf("waited for %d messages, have %d: %w", n, len(c.Messages()), ctx.Err())
		case <-c.arrived:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Deliver parses and keeps a raw message sent from from to rcpts.
func (c *Catcher) Deliver(from string, rcpts []string, raw []byte) error {
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message not understood: " + err.Error()}
	}
	m.From, m.To, m.ReceivedAt = from, rcpts, time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byID[m.MessageID]; ok && m.MessageID != "" {
		prev.Deliveries++
		return nil
	}
	m.ID, m.Deliveries = len(c.messages)+1, 1
	c.messages = append(c.messages, m)
	if m.MessageID != "" {
		c.byID[m.MessageID] = m
	}
	select {
	case c.arrived <- struct{}{}:
	default:
	}
	return nil
}

// NewSession implements smtp.Backend.
func (c *Catcher) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{catcher: c}, nil }

type session struct {
	catcher *Catcher
	from    string
	rcpts   []string
}

func (s *session) AuthMechanisms() []string { return []string{"PLAIN"} }

// Auth accepts any user and password, so a sender configured with credentials can try the demo.
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.catcher.Deliver(s.from, s.rcpts, raw)
}

func (s *session) Reset()        { s.from, s.rcpts = "", nil }
func (s *session) Logout() error { return nil }

// parse reads the headers and the text and HTML parts of a message.
func parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	m := &Message{MessageID: strings.Trim(msg.Header.Get("Message-Id"), "<> "), Subject: subject}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Message) readPart(contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mediaType {
	case "text/plain":
		m.Text += string(data)
	case "text/html":
		m.HTML += string(data)
	}
	return nil
}
