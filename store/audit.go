package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Each application's audit trail (application_events) is a hash chain that the database writes on
// insert (migrations/00032_application_event_chain.sql). This is the chain's second, independent
// implementation: it recomputes every hash from the rows as they stand. docs/audit.md describes the
// encoding both follow.

// eventHashTag opens every encoded event, so a future encoding can be told apart.
const eventHashTag = "grantflow.application_events.v1"

// EventHash is SHA-256 over the event's canonical encoding: the tag, then id, application, place in
// the trail, key, time in microseconds since 1970 UTC, actor's user id (0x00 when none, else 0x01 and
// the id), actor's name and role, what, why, status, and the previous event's hash (0x00 for the
// first event, else 0x01 and the 32 bytes). Integers are 8-byte big-endian; each text is its
// 8-byte UTF-8 length, then its bytes.
func EventHash(e Event) []byte {
	b := make([]byte, 0, 256)
	b = append(b, eventHashTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.ID))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Application))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = appendText(b, e.Key)
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixMicro()))
	if e.ActorUserID == nil {
		b = append(b, 0)
	} else {
		b = binary.BigEndian.AppendUint64(append(b, 1), uint64(*e.ActorUserID))
	}
	for _, text := range []string{e.ActorName, e.ActorRole, e.What, e.Why, e.Status} {
		b = appendText(b, text)
	}
	if e.PrevHash == nil {
		b = append(b, 0)
	} else {
		b = append(append(b, 1), e.PrevHash...)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

func appendText(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint64(b, uint64(len(s))), s...)
}

// ChainBreak is the first place an application's trail stops verifying.
type ChainBreak struct {
	Application int64
	Event       int64 // the event's id
	Seq         int   // its place in the trail as stored
	Reason      string
}

func (b ChainBreak) String() string {
	return fmt.Sprintf("application %d, event %d (number %d in its trail): %s", b.Application, b.Event, b.Seq, b.Reason)
}

// AuditReport is what VerifyAuditTrail found.
type AuditReport struct {
	Applications int
	Events       int
	Breaks       []ChainBreak // at most one per application, in order of application
	// Head is the last event's hash when one application was verified: a value to keep elsewhere,
	// since removing the newest events of a trail leaves a shorter chain that still verifies.
	Head []byte
}

// VerifyAuditTrail recomputes the hash chain of one application's trail (application > 0) or of
// every application's, and reports the first break in each: an edited event (its hash no longer
// matches it), a removed one (a gap in the trail's numbering) or one inserted, reordered or
// following an edited predecessor (its link to the event before it does not match).
func (s *Store) VerifyAuditTrail(ctx context.Context, application int64) (AuditReport, error) {
	var r AuditReport
	rows, err := s.DB.QueryxContext(ctx, `SELECT id, application_id, event_key, at, actor_user_id, actor_name, actor_role,
		what, why, status, seq, prev_hash, hash FROM application_events
		WHERE $1 = 0 OR application_id = $1 ORDER BY application_id, seq`, application)
	if err != nil {
		return r, fmt.Errorf("read the audit trail: %w", err)
	}
	defer rows.Close()
	var (
		current  int64
		expected int
		previous []byte
		broken   bool
	)
	for rows.Next() {
		var e Event
		if err := rows.StructScan(&e); err != nil {
			return r, fmt.Errorf("read the audit trail: %w", err)
		}
		r.Events++
		if e.Application != current { // ids start at 1
			current, expected, previous, broken = e.Application, 1, nil, false
			r.Applications++
		}
		if broken {
			continue
		}
		var reason string
		switch {
		case !bytes.Equal(EventHash(e), e.Hash):
			reason = "its contents do not match its hash: it was changed after it was recorded"
		case e.Seq != expected:
			reason = fmt.Sprintf("the events numbered %d to %d before it are missing: removed", expected, e.Seq-1)
		case !bytes.Equal(e.PrevHash, previous):
			reason = "it does not follow the event before it: an event before it was changed, removed or inserted"
		}
		if reason != "" {
			r.Breaks = append(r.Breaks, ChainBreak{Application: e.Application, Event: e.ID, Seq: e.Seq, Reason: reason})
			broken = true
			continue
		}
		expected, previous = e.Seq+1, e.Hash
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("read the audit trail: %w", err)
	}
	if application > 0 {
		r.Head = previous
	}
	return r, nil
}
