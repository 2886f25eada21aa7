package web

import (
	"crypto/sha256"
	"strings"
	"sync"
	"time"
)

// throttle limits sign-in attempts per e-mail address: at most limit in any window. An attempt is
// counted before the password is checked (so parallel guesses cannot slip past the count) and the
// count is cleared by a successful sign-in. It lives in this process only.
type throttle struct {
	mu       sync.Mutex
	limit    int
	window   time.Duration
	attempts map[[32]byte][]time.Time
}

// maxThrottled is how many addresses are tracked before expired entries are swept.
const maxThrottled = 10_000

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, attempts: map[[32]byte][]time.Time{}}
}

func throttleKey(email string) [32]byte {
	return sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
}

// take counts an attempt for the address at now, or refuses it and says when the next is allowed.
func (t *throttle) take(email string, now time.Time) (ok bool, retryAt time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := throttleKey(email)
	recent := t.recent(t.attempts[key], now)
	if len(recent) >= t.limit {
		t.attempts[key] = recent
		return false, recent[0].Add(t.window)
	}
	if len(t.attempts) >= maxThrottled {
		for k, v := range t.attempts {
			if len(t.recent(v, now)) == 0 {
				delete(t.attempts, k)
			}
		}
	}
	t.attempts[key] = append(recent, now)
	return true, time.Time{}
}

// reset forgets the address's attempts after a successful sign-in.
func (t *throttle) reset(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.attempts, throttleKey(email))
}

func (t *throttle) recent(times []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-t.window)) {
		cut++
	}
	return times[cut:]
}
