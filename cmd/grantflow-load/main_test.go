package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// The short version of `make load`: twenty people for ten seconds. Every page of the walk is
// reached, and none answers a 5xx, an error, or sends anyone back to sign in.
func TestShortLoadReachesEveryPageWithoutAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole system")
	}
	var out bytes.Buffer
	r, err := run(context.Background(), options{Users: 20, Duration: 10 * time.Second, StaffShare: 0.3,
		Think: 200 * time.Millisecond, Drafts: 1, Submitted: 1, Seed: 1}, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if n := r.serverErrors(); n != 0 {
		t.Errorf("%d answers were 5xx", n)
	}
	if len(r.signIns) > 0 {
		t.Errorf("%d people could not sign in: %v", len(r.signIns), r.signIns)
	}
	hit := map[string]bool{}
	for _, f := range r.figures() {
		hit[f.Name] = f.Requests > 0
		if f.Errors > 0 {
			t.Errorf("%s: %d of %d requests failed, the first with %s", f.Name, f.Errors, f.Requests, f.ExampleError)
		}
	}
	for _, want := range []string{
		"officer POST /sign-in", "officer POST /sign-in/code", "officer GET /work", "officer GET /applications/{id}", "officer GET /staff/applications?q=…",
		"assessor GET /work", "assessor GET /staff/applications?q=…",
		"applicant POST /sign-in", "applicant GET /applications", "applicant GET /applications/{id}", "applicant GET /applications/{id}/edit",
		"applicant GET /applications/{id}/tasks", "applicant GET /applications/{id}/sections/{section}",
	} {
		if !hit[want] {
			t.Errorf("no request reached %s", want)
		}
	}
}
