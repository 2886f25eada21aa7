// Package apiclient makes requests to Grantflow's JSON API and reads its answers whole, for the
// harnesses that drive the API from outside as a client would: the e2e tests, the chaos command and
// the demo's first awards.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Response is an answer read whole: Body is the decoded JSON when the answer says it is JSON.
type Response struct {
	Status int
	Body   map[string]any
	Raw    []byte
	Header http.Header
}

// Str is the value at path in the body (Dig), as text.
func (r Response) Str(path ...string) string { return fmt.Sprint(Dig(r.Body, path...)) }

// Dig walks maps and list indexes ("0") in a decoded JSON value; nil where the path leads nowhere.
func Dig(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// NewRequest is an API request to url with body as JSON (a string is sent as it is: bad JSON, or
// bytes that are not UTF-8, on purpose), and the bearer token unless it is empty. sent is the
// body's bytes.
func NewRequest(ctx context.Context, method, url, token string, body any) (req *http.Request, sent []byte, err error) {
	var rd io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			sent = []byte(raw)
		} else if sent, err = json.Marshal(body); err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(sent)
	}
	if req, err = http.NewRequestWithContext(ctx, method, url, rd); err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, sent, nil
}

// Read reads res's body whole and closes it. An answer that says it is JSON and is not comes back
// with an error, and with what was read of it.
func Read(res *http.Response) (Response, error) {
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: res.StatusCode, Raw: raw, Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			return out, fmt.Errorf("bad JSON %q", raw)
		}
	}
	return out, nil
}
