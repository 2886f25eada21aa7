// Package requestid names one HTTP request across the logs it causes: the front door's request
// line, and (through the Temporal header Propagator carries) the workflow and activities it drives.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Header is the HTTP header the id arrives in (from a proxy or a client) and is answered in.
const Header = "X-Request-Id"

// LogKey is the attribute the id is logged under, everywhere.
const LogKey = "request_id"

type ctxKey struct{}

// With is ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From is the id ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Valid reports whether s is safe to take from outside and repeat in logs and headers: 1 to 64
// letters, digits, '-' or '_'.
func Valid(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// New is a fresh id: 16 random bytes in hex.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
