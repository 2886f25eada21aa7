package apiv1

// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header, kept as Stripe keeps it): every POST
// a signed-in person sends may carry a key of their choosing, and a repeat of it, after the answer
// was lost, gets the first answer back instead of a second effect.
//
//   - A key is the person's, on one route (method and path): the same key elsewhere is another key.
//   - A repeat with the same body (JSON compared in a canonical form: whitespace and the order of
//     names do not count) replays the first answer, status and body, with Idempotent-Replayed:
//     true, while the person stands as they did (role, band, organisations: standingOf); after a
//     change it is a 403. The same key with another body is a 422 naming the header; a repeat
//     while the first is still running is a 409 idempotency_key_in_use.
//   - A 5xx answer is not kept (the request may be tried again), nor a payment batch the deadline cut
//     short, nor anything from a handler that panicked; every other answer is kept for
//     IdempotencyKeyLifetime.
//   - Every database transaction that writes under a key records the key's effect in itself
//     (store.WithIdempotencyClaim), so a crash before the answer is stored never lets a repeat
//     write again: POST /applications then answers with the draft it made, others with a 409
//     idempotency_answer_lost.
//   - A request whose effect is a workflow's (submission, every step, payment batches) records none
//     (store.EffectInWorkflow): a step sent under a key carries a Temporal update id made from it
//     (stepUpdateID), so a repeat after a 503 or a crash attaches to the first update instead of
//     taking the step twice, and a submission's workflow id is its application's.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/store"
)

const (
	// IdempotencyKeyHeader is the request header a client names a retryable request with.
	IdempotencyKeyHeader = "Idempotency-Key"
	// IdempotentReplayedHeader marks an answer replayed from a key's first request.
	IdempotentReplayedHeader = "Idempotent-Replayed"
	// IdempotencyKeyLifetime is how long a key's answer is kept: a day, as Stripe keeps them, is
	// far longer than any client's retries.
	IdempotencyKeyLifetime = 24 * time.Hour
	maxIdempotencyKey      = 255
	// idempotencyLeaseMargin is how long past the step deadline a key's first request is taken to
	// be still running; after it, a repeat may carry the request out (it had written nothing).
	idempotencyLeaseMargin = 10 * time.Second
)

// parseIdempotencyKey reads the header: one value, a Structured Fields string as the draft has it
// ("…") or the bare key as Stripe takes it, of 1 to 255 printable ASCII characters.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) != 1 {
		return "", httperr.Field(IdempotencyKeyHeader, "send the header once")
	}
	key := strings.TrimSpace(values[0])
	if len(key) >= 2 && strings.HasPrefix(key, `"`) && strings.HasSuffix(key, `"`) {
		key = key[1 : len(key)-1]
	}
	switch {
	case key == "":
		return "", httperr.Field(IdempotencyKeyHeader, "is empty: send a unique key of your own, such as a UUID")
	case len(key) > maxIdempotencyKey:
		return "", httperr.Field(IdempotencyKeyHeader, fmt.Sprintf("must be at most %d characters", maxIdempotencyKey))
	}
	for _, r := range key {
		if r < 0x20 || r > 0x7e {
			return "", httperr.Field(IdempotencyKeyHeader, "must be printable ASCII characters only")
		}
	}
	return key, nil
}

// idempotent serves a signed-in POST under its Idempotency-Key, if it has one (see the top of the file).
func (s *Server) idempotent(c *gin.Context) {
	values := c.Request.Header.Values(IdempotencyKeyHeader)
	if c.Request.Method != http.MethodPost || len(values) == 0 {
		c.Next()
		return
	}
	key, err := parseIdempotencyKey(values)
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = &httperr.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the request body is too large"}
		}
		s.fail(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	u := currentUser(c)
	hash := sha256.Sum256(canonicalBody(c.GetHeader("Content-Type"), body))
	req := store.IdempotentRequest{UserID: u.ID, Route: c.Request.Method + " " + c.Request.URL.Path, Key: key,
		RequestHash: hash[:], Standing: standingOf(u)}
	ctx := c.Request.Context()
	out, err := s.Store.ClaimIdempotencyKey(ctx, req, s.stepTimeout()+idempotencyLeaseMargin, IdempotencyKeyLifetime)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch out.State {
	case store.IdempotencyAnswered:
		c.Header(IdempotentReplayedHeader, "true")
		c.Data(out.Answer.Status, out.Answer.ContentType, out.Answer.Body)
		c.Abort()
		return
	case store.IdempotencyMismatch:
		s.fail(c, httperr.Field(IdempotencyKeyHeader, "was first sent with a different request body: use a new key for a new request"))
		return
	case store.IdempotencyInFlight:
		s.fail(c, errIdempotencyKeyInUse)
		return
	case store.IdempotencyStandingChanged:
		s.fail(c, errIdempotencyStandingChanged)
		return
	case store.IdempotencyAnswerLost:
		if !s.answerLost(c, out.ResourceID) {
			s.fail(c, httperr.Conflict("idempotency_answer_lost", "the request first sent with this Idempotency-Key was carried out, "+
				"but its answer was lost: look the record up rather than sending the request again"))
		}
		c.Abort()
		return
	}
	ctx = store.WithIdempotencyClaim(ctx, req, out.Claim)
	ctx = context.WithValue(ctx, updateIDKey{}, fmt.Sprintf("idempotency-key/%d/%s/%s", u.ID, req.Route, key))
	c.Request = c.Request.WithContext(ctx)
	rec := &answerRecorder{ResponseWriter: c.Writer}
	c.Writer = rec
	// Kept even when the caller has gone: losing the answer is what the key is for.
	keep := context.WithoutCancel(ctx)
	defer func() {
		// A handler that panicked answers 500 (the router's recovery): like any 5xx its answer is
		// not kept, and the key is free at once for a repeat (refused as answer lost if it wrote).
		if p := recover(); p != nil {
			if err := s.Store.ReleaseIdempotencyKey(keep, req, out.Claim); err != nil {
				s.Logger.ErrorContext(keep, "release an Idempotency-Key after a panic", "route", req.Route, "error", err)
			}
			panic(p)
		}
	}()
	c.Next()
	if rec.Status() >= http.StatusInternalServerError || c.GetBool(answerNotFinal) {
		err = s.Store.ReleaseIdempotencyKey(keep, req, out.Claim)
	} else {
		err = s.Store.SaveIdempotentAnswer(keep, req, out.Claim, store.IdempotentAnswer{Status: rec.Status(), ContentType: rec.Header().Get("Content-Type"), Body: rec.body.Bytes()})
	}
	if err != nil && !errors.Is(err, store.ErrIdempotencyClaimLost) {
		s.Logger.ErrorContext(keep, "keep the answer of an Idempotency-Key", "route", req.Route, "error", err)
	}
}

// answerNotFinal, set on a request, keeps its answer from being stored under its key: a batch the
// deadline cut short is carried on by a repeat, not replayed.
const answerNotFinal = "grantflow.answer_not_final"

var errIdempotencyKeyInUse = &httperr.Error{Status: http.StatusConflict, Code: "idempotency_key_in_use", RetryAfter: 1,
	Message: "a request with this Idempotency-Key is still being carried out: wait for it, then send it again to get its answer"}

var errIdempotencyStandingChanged = httperr.Forbidden("your role or organisations have changed since the request with this " +
	"Idempotency-Key was first sent, so its answer is not given again: look the record up")

// standingOf is what a person's authority rests on: their role, decision band and organisations.
// A kept answer is replayed only while it is unchanged, so someone who has since lost a role or
// left an organisation does not get back what it let them do or see. (A disabled account or an
// ended token is refused before, by authenticate.)
func standingOf(u store.User) []byte {
	orgs := slices.Clone(u.Organisations)
	slices.Sort(orgs)
	sum := sha256.Sum256(fmt.Appendf(nil, "%q %q %v", u.Role, u.BandTitle, orgs))
	return sum[:]
}

// canonicalBody is the body as compared between a key's requests: a JSON body (application/json or
// a +json type) in one form, so a repeat that differs only in whitespace, the order of an object's
// names or escapes (\u0041 for A) is the same request; numbers keep their text (1.0 is not 1).
// Anything else, and JSON that does not parse or is not valid UTF-8, is compared byte for byte.
func canonicalBody(contentType string, body []byte) []byte {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json")) || !utf8.Valid(body) {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.Decode(new(any)) != io.EOF {
		return body
	}
	canonical, err := json.Marshal(v) // objects' names in order
	if err != nil {
		return body
	}
	return canonical
}

// answerLost answers a repeat whose first request created a record but ended before its answer
// was stored, with the record as it now stands, where the route has such an answer.
func (s *Server) answerLost(c *gin.Context, resourceID int64) bool {
	if resourceID == 0 || !strings.HasSuffix(c.FullPath(), "/applications") {
		return false
	}
	c.Header(IdempotentReplayedHeader, "true")
	s.respondApplication(c, http.StatusCreated, resourceID)
	return true
}

// answerRecorder copies the answer as it is written, to be stored under the key.
type answerRecorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *answerRecorder) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *answerRecorder) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

type updateIDKey struct{}

// stepUpdateID is the Temporal update id of a step sent under an Idempotency-Key, or "" (Temporal
// makes one up). The person, route and key name it, so a repeat attaches to the first update:
// Temporal takes an update id once per workflow run and answers a repeat with the first outcome.
func stepUpdateID(ctx context.Context, update string) string {
	base, _ := ctx.Value(updateIDKey{}).(string)
	if base == "" {
		return ""
	}
	return base + "/" + update
}

// forBatchItem gives one payment of a keyed batch its own update ids.
func forBatchItem(ctx context.Context, it PaymentItem) context.Context {
	base, _ := ctx.Value(updateIDKey{}).(string)
	if base == "" {
		return ctx
	}
	return context.WithValue(ctx, updateIDKey{}, fmt.Sprintf("%s/%d/%d", base, it.ApplicationID, it.Tranche))
}
