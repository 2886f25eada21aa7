package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"grantflow/store"
	"grantflow/store/storetest"
)

func TestSignInThrottleCountsPerAddressAndClears(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		ok, _, err := st.TakeSignInAttempt(ctx, "Ann@Example.org", now.Add(time.Duration(i)*time.Minute), 5, 15*time.Minute)
		if err != nil || !ok {
			t.Fatalf("attempt %d: ok=%v err=%v", i+1, ok, err)
		}
	}
	// The sixth, whatever the case and spacing, waits until the first falls out of the window.
	ok, retryAt, err := st.TakeSignInAttempt(ctx, " ann@example.ORG ", now.Add(5*time.Minute), 5, 15*time.Minute)
	if err != nil || ok || !retryAt.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("sixth attempt: ok=%v retryAt=%v err=%v; want refused until %v", ok, retryAt, err, now.Add(15*time.Minute))
	}
	if ok, _, _ := st.TakeSignInAttempt(ctx, "bob@example.org", now, 5, 15*time.Minute); !ok {
		t.Fatal("another address was held up")
	}
	if ok, _, _ := st.TakeSignInAttempt(ctx, "ann@example.org", now.Add(15*time.Minute+time.Second), 5, 15*time.Minute); !ok {
		t.Fatal("still refused after the first attempt left the window")
	}
	if err := st.ClearSignInAttempts(ctx, "ANN@example.org"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if ok, _, _ := st.TakeSignInAttempt(ctx, "ann@example.org", now.Add(16*time.Minute), 5, 15*time.Minute); !ok {
			t.Fatalf("after clearing, attempt %d refused", i+1)
		}
	}
}

// Attempts at many addresses leave nothing behind once the window has passed.
func TestSignInThrottleForgetsOldAttempts(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 50 {
		if _, _, err := st.TakeSignInAttempt(ctx, fmt.Sprintf("guess%d@example.org", i), now, 5, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.TakeSignInAttempt(ctx, "later@example.org", now.Add(16*time.Minute), 5, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := st.DB.GetContext(ctx, &rows, `SELECT count(*) FROM sign_in_attempts`); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d attempts kept, want only the latest", rows)
	}
}

// Parallel guesses cannot slip past the count.
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
			ok, _, err := st.TakeSignInAttempt(context.Background(), "guess@example.org", now, store.SignInLimit, store.SignInWindow)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != store.SignInLimit {
		t.Fatalf("%d of 40 parallel attempts allowed, want %d", allowed, store.SignInLimit)
	}
}
