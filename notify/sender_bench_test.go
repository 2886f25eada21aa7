package notify

import (
	"fmt"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// BenchmarkSenderAgainstBareGoMail delivers rounds of messages to a local go-smtp server through
// the Sender (claim, send, record in PostgreSQL) and through a bare go-mail send loop over one
// connection, alternating rounds in the same run so both meet the same machine load. It reports
// both rates and their ratio (sender / bare).
//
//	go test -run '^$' -bench SenderAgainstBareGoMail -benchtime 10x ./notify/
func BenchmarkSenderAgainstBareGoMail(b *testing.B) {
	const perRound = 100
	f := newFixture(b, nil, nil)
	assessor := f.users["assessor@opcc.example.org"]
	s := f.sender()
	s.Batch = perRound
	var senderTime, bareTime time.Duration
	round := 0
	for b.Loop() {
		round++
		for i := range perRound {
			f.notify(b, fmt.Sprintf("bench/%d/%d", round, i), fmt.Sprintf("user:%d", assessor.ID), "reminder", "Please score by 3 July 2026.")
		}
		start := time.Now()
		for sent := 0; sent < perRound; {
			n, err := s.SendPending(f.ctx)
			if err != nil {
				b.Fatal(err)
			}
			sent += n
		}
		senderTime += time.Since(start)

		start = time.Now()
		client, err := gomail.NewClient(f.smtp.Host, f.smtp.clientOptions()...)
		if err != nil {
			b.Fatal(err)
		}
		if err := client.DialWithContext(f.ctx); err != nil {
			b.Fatal(err)
		}
		for i := range perRound {
			msg := gomail.NewMsg()
			msg.From(testFrom)
			msg.To(assessor.Email)
			msg.SetMessageIDWithValue(fmt.Sprintf("bare-%d-%d@opcc.example", round, i))
			msg.Subject("Reminder: Summer boxing club")
			msg.SetBodyString(gomail.TypeTextPlain, "Please score by 3 July 2026.")
			msg.AddAlternativeString(gomail.TypeTextHTML, "<p>Please score by 3 July 2026.</p>")
			if err := client.Send(msg); err != nil {
				b.Fatal(err)
			}
		}
		client.Close()
		bareTime += time.Since(start)
	}
	senderRate := float64(round*perRound) / senderTime.Seconds()
	bareRate := float64(round*perRound) / bareTime.Seconds()
	b.ReportMetric(senderRate, "sender-msgs/s")
	b.ReportMetric(bareRate, "bare-msgs/s")
	b.ReportMetric(senderRate/bareRate, "ratio")
}
