package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"grantflow/store"
	"grantflow/store/storetest"
)

func throttled(t *testing.T, err error) *store.Throttled {
	t.Helper()
	var th *store.Throttled
	if !errors.As(err, &th) {
		t.Fatalf("not throttled: %v", err)
	}
	return th
}

// One address guessing at one account: three free failures, then 2s, 4s, 8s... each refused
// attempt in between checks nothing and counts nothing.
func TestSignInDelayGrowsPerAccountAndAddress(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	attacker := store.SignInAttempt{Email: "Ann@Example.org", Address: "203.0.113.9"}
	for i := range 3 {
		if err := st.BeginSignIn(ctx, attacker, now); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The fourth waits 2 seconds, whatever the e-mail's case and spacing.
	th := throttled(t, st.BeginSignIn(ctx, store.SignInAttempt{Email: " ann@example.ORG ", Address: "203.0.113.9"}, now))
	if th.Scope != "pair" || !th.RetryAt.Equal(now.Add(2*time.Second)) || th.RetryAfter(now) != 2 {
		t.Fatalf("fourth attempt: %+v, want the pair's 2s", th)
	}
	// Waiting it out lets one more attempt through; the next wait doubles.
	now = now.Add(2 * time.Second)
	if err := st.BeginSignIn(ctx, attacker, now); err != nil {
		t.Fatal(err)
	}
	if th := throttled(t, st.BeginSignIn(ctx, attacker, now.Add(time.Second))); !th.RetryAt.Equal(now.Add(4 * time.Second)) {
		t.Fatalf("after the fifth failure: retry at %v, want %v", th.RetryAt, now.Add(4*time.Second))
	}
	// The account's owner, from their own address, is not held up at all.
	owner := store.SignInAttempt{Email: "ann@example.org", Address: "198.51.100.20"}
	if err := st.BeginSignIn(ctx, owner, now.Add(time.Second)); err != nil {
		t.Fatalf("the owner from another address was held up: %v", err)
	}
	if err := st.SignInStepPassed(ctx, owner, true); err != nil {
		t.Fatal(err)
	}
	// Success cleared the account's count and this address's pair, not the attacker's pair.
	if th := throttled(t, st.BeginSignIn(ctx, attacker, now.Add(time.Second))); th.Scope != "pair" {
		t.Fatalf("the attacker's pair delay went: %+v", th)
	}
}

// The delay is capped: many failures never become a lock longer than the cap.
func TestSignInDelayIsCapped(t *testing.T) {
	d := store.DefaultSignInPolicy.Pair
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a := store.SignInAttempt{Email: "ann@example.org", Address: "203.0.113.9"}
	for range 40 {
		err := st.BeginSignIn(ctx, a, now)
		var th *store.Throttled
		if errors.As(err, &th) {
			if wait := th.RetryAt.Sub(now); wait > d.Cap {
				t.Fatalf("waited %v, more than the cap %v", wait, d.Cap)
			}
			now = th.RetryAt
			err = st.BeginSignIn(ctx, a, now)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if th := throttled(t, st.BeginSignIn(ctx, a, now)); th.RetryAt.Sub(now) != d.Cap {
		t.Fatalf("after many failures the wait is %v, want the cap %v", th.RetryAt.Sub(now), d.Cap)
	}
}

// Guesses at one account from many addresses (a botnet): each address is fresh, so only the
// account's own delay slows them; it is capped at a minute, so the owner waits at most a minute,
// then signs in.
func TestSignInAttackFromManyAddressesDelaysOwnerBoundedly(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	p := store.DefaultSignInPolicy
	for i := 0; i < 200; i++ {
		a := store.SignInAttempt{Email: "victim@example.org", Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250)}
		err := st.BeginSignIn(ctx, a, now)
		var th *store.Throttled
		if errors.As(err, &th) {
			if th.Scope != "account" || th.RetryAt.Sub(now) > p.Account.Cap {
				t.Fatalf("attempt %d: %+v", i, th)
			}
			now = th.RetryAt // the attacker waits it out and tries again
			err = st.BeginSignIn(ctx, a, now)
		}
		if err != nil {
			t.Fatalf("attempt %d after waiting: %v", i, err)
		}
	}
	owner := store.SignInAttempt{Email: "victim@example.org", Address: "192.0.2.1"}
	th := throttled(t, st.BeginSignIn(ctx, owner, now))
	if wait := th.RetryAt.Sub(now); wait <= 0 || wait > time.Minute {
		t.Fatalf("the owner waits %v, want at most a minute", wait)
	}
	if err := st.BeginSignIn(ctx, owner, th.RetryAt); err != nil {
		t.Fatalf("after the bounded wait the owner is still refused: %v", err)
	}
}

// A right password undoes its own count: staff signing in all day from one office address never
// build up a delay there.
func TestSignInSuccessesDoNotBuildADelay(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 60 {
		a := store.SignInAttempt{Email: fmt.Sprintf("staff%d@opcc.example.org", i%7), Address: "192.0.2.10"}
		if err := st.BeginSignIn(ctx, a, now); err != nil {
			t.Fatalf("sign-in %d refused: %v", i, err)
		}
		if err := st.SignInStepPassed(ctx, a, false); err != nil {
			t.Fatal(err)
		}
	}
}

// The global cap: at most GlobalPerMinute attempts a minute across every account and address,
// with Retry-After the minute's end.
func TestSignInGlobalCap(t *testing.T) {
	st := storetest.New(t)
	st.SignInPolicy = &store.SignInPolicy{Pair: store.DefaultSignInPolicy.Pair, Address: store.DefaultSignInPolicy.Address,
		Account: store.DefaultSignInPolicy.Account, GlobalPerMinute: 5, Forget: time.Hour}
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 20, 0, time.UTC)
	for i := range 5 {
		if err := st.BeginSignIn(ctx, store.SignInAttempt{Email: fmt.Sprintf("p%d@example.org", i), Address: fmt.Sprintf("10.0.0.%d", i)}, now); err != nil {
			t.Fatal(err)
		}
	}
	th := throttled(t, st.BeginSignIn(ctx, store.SignInAttempt{Email: "late@example.org", Address: "10.0.0.99"}, now))
	if th.Scope != "global" || th.RetryAfter(now) != 40 {
		t.Fatalf("sixth attempt in the minute: %+v (retry after %d), want global, 40s", th, th.RetryAfter(now))
	}
	if err := st.BeginSignIn(ctx, store.SignInAttempt{Email: "late@example.org", Address: "10.0.0.99"}, now.Add(40*time.Second)); err != nil {
		t.Fatalf("next minute: %v", err)
	}
}

// Parallel guesses cannot slip past the count: of 40 at once from one address at one account,
// only the free three are checked.
func TestSignInThrottleHoldsUnderConcurrency(t *testing.T) {
	st := storetest.New(t)
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.BeginSignIn(context.Background(), store.SignInAttempt{Email: "guess@example.org", Address: "203.0.113.1"}, now)
			var th *store.Throttled
			if err != nil && !errors.As(err, &th) {
				t.Error(err)
			}
			if err == nil {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != store.DefaultSignInPolicy.Pair.Free {
		t.Fatalf("%d of 40 parallel attempts allowed, want %d", allowed, store.DefaultSignInPolicy.Pair.Free)
	}
}

// Registration and password-reset requests: a fixed number per address an hour, counted per kind.
func TestRequestThrottlePerAddressAndKind(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	lim := store.RequestLimits["registration"]
	for i := range lim.Max {
		if err := st.TakeRequest(ctx, "registration", "203.0.113.5", now); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	th := throttled(t, st.TakeRequest(ctx, "registration", "203.0.113.5", now))
	if !th.RetryAt.Equal(time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)) || th.RetryAfter(now) != 1800 {
		t.Fatalf("over the limit: %+v", th)
	}
	if err := st.TakeRequest(ctx, "registration", "198.51.100.5", now); err != nil {
		t.Fatalf("another address was held up: %v", err)
	}
	if err := st.TakeRequest(ctx, "password-reset", "203.0.113.5", now); err != nil {
		t.Fatalf("another kind was held up: %v", err)
	}
	if err := st.TakeRequest(ctx, "no-such-kind", "203.0.113.5", now); err == nil || errors.As(err, new(*store.Throttled)) {
		t.Fatalf("an unknown kind: %v", err)
	}
}

// After wrong guesses have run their wait, the owner's right password and then their code, in one
// request as the API takes them, both go through: a right step leaves no wait for the next.
func TestRightPasswordLeavesNoWaitForTheCode(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // the night the clocks go back
	owner := store.SignInAttempt{Email: "ann@example.org", Address: "198.51.100.7"}
	for i := range 4 { // three free failures, then a fourth after its wait
		if err := st.BeginSignIn(ctx, owner, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	later := now.Add(10 * time.Minute)
	if err := st.BeginSignIn(ctx, owner, later); err != nil { // the password
		t.Fatalf("the right password was refused: %v", err)
	}
	if err := st.SignInStepPassed(ctx, owner, false); err != nil {
		t.Fatal(err)
	}
	if err := st.BeginSignIn(ctx, owner, later); err != nil { // the code, at once
		t.Fatalf("the code straight after the right password was refused: %v", err)
	}
	if err := st.SignInStepPassed(ctx, owner, true); err != nil {
		t.Fatal(err)
	}
	// A wrong guess after that starts from no failures for the account: three free again.
	for i := range 3 {
		if err := st.BeginSignIn(ctx, owner, later); err != nil {
			t.Fatalf("failure %d after signing in: %v", i+1, err)
		}
	}
}
