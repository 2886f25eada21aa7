package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every figure this command reports is a pair, the bare engine or library against ours, measured in
// one run by alternation: several rounds, each running both sides for at least a minimum time, the
// side that goes first turning round every round, so a busy moment on two shared cores falls on both
// alike. One 3-second run swings from 0.4 to 1.1 on such a machine; the median of the rounds' ratios
// with their spread does not.

// alternation is how a pair is measured.
type alternation struct {
	rounds   int
	minRound time.Duration // each side's least time in a round; a side with fixed work may take less (said in the table)
}

// side is one half of a pair. run does its work for at least min (a side with a fixed amount of work
// per round may ignore min) and says what it completed in the time that counts: setup that is not
// the thing measured (seeding, starting workers, preparing drafts) is left out of took.
type side struct {
	name string
	run  func(ctx context.Context, min time.Duration) (work, error)
}

// work is what one side did in one round.
type work struct {
	ops  int
	took time.Duration
}

func (w work) rate() float64 { return float64(w.ops) / w.took.Seconds() }

// pair is one comparison: its ratio is ours' rate over bare's (below 1: ours is slower).
type pair struct {
	key   string // its name in the JSON file and on the command line's -parts
	title string
	unit  string // what one operation is, e.g. "submissions"
	bare  side
	ours  side
}

// roundResult is one round of a pair.
type roundResult struct {
	BareFirst   bool    `json:"bare_first"`
	BareOps     int     `json:"bare_ops"`
	BareSeconds float64 `json:"bare_seconds"`
	OursOps     int     `json:"ours_ops"`
	OursSeconds float64 `json:"ours_seconds"`
	Ratio       float64 `json:"ratio"`
}

// stats is a figure over rounds: its median, lowest, highest and quartiles.
type stats struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
}

func statsOf(xs []float64) stats {
	s := slices.Sorted(slices.Values(xs))
	return stats{Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], Q1: quantile(s, 0.25), Q3: quantile(s, 0.75)}
}

// quantile of sorted xs, interpolating between neighbours.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// result is one pair measured.
type result struct {
	Key      string            `json:"key"`
	Title    string            `json:"title"`
	Unit     string            `json:"unit"`
	Bare     string            `json:"bare"`
	Ours     string            `json:"ours"`
	BareRate stats             `json:"bare_per_second"`
	OursRate stats             `json:"ours_per_second"`
	Ratio    stats             `json:"ratio"`
	Rounds   []roundResult     `json:"rounds"`
	MinRound float64           `json:"min_round_seconds"`
	Notes    map[string]string `json:"notes,omitempty"` // figures particular to the pair (total time, peak memory, ...)
}

// measure runs the pair's rounds, printing each, and records the result for the table and the file.
func (a alternation) measure(ctx context.Context, p pair) (result, error) {
	r := result{Key: p.key, Title: p.title, Unit: p.unit, Bare: p.bare.name, Ours: p.ours.name, MinRound: a.minRound.Seconds()}
	var bareRates, oursRates, ratios []float64
	for round := range a.rounds {
		bareFirst := round%2 == 0
		var b, o work
		var err error
		for _, s := range sidesInOrder(bareFirst) {
			if s == "bare" {
				b, err = p.bare.run(ctx, a.minRound)
			} else {
				o, err = p.ours.run(ctx, a.minRound)
			}
			if err != nil {
				return r, fmt.Errorf("%s, round %d, %s: %w", p.key, round+1, s, err)
			}
		}
		if b.ops <= 0 || o.ops <= 0 || b.took <= 0 || o.took <= 0 {
			return r, fmt.Errorf("%s, round %d: nothing measured (bare %d in %v, ours %d in %v)", p.key, round+1, b.ops, b.took, o.ops, o.took)
		}
		rr := roundResult{BareFirst: bareFirst, BareOps: b.ops, BareSeconds: b.took.Seconds(), OursOps: o.ops, OursSeconds: o.took.Seconds(), Ratio: o.rate() / b.rate()}
		r.Rounds = append(r.Rounds, rr)
		bareRates, oursRates, ratios = append(bareRates, b.rate()), append(oursRates, o.rate()), append(ratios, rr.Ratio)
		fmt.Printf("  %s, round %d of %d: bare %.1f %s/s (%d in %v), ours %.1f/s (%d in %v), ratio %.3f\n", p.key, round+1, a.rounds,
			b.rate(), p.unit, b.ops, b.took.Round(time.Millisecond), o.rate(), o.ops, o.took.Round(time.Millisecond), rr.Ratio)
	}
	r.BareRate, r.OursRate, r.Ratio = statsOf(bareRates), statsOf(oursRates), statsOf(ratios)
	fmt.Printf("%s: median ratio %.3f (lowest %.3f, highest %.3f; IQR %.3f–%.3f) over %d rounds\n\n", p.title, r.Ratio.Median, r.Ratio.Min, r.Ratio.Max, r.Ratio.Q1, r.Ratio.Q3, a.rounds)
	results.add(r)
	return r, nil
}

// measureSetUp measures the pair that setUp makes, then stops what setUp started for it (workers,
// servers).
func (a alternation) measureSetUp(ctx context.Context, setUp func() (pair, func(), error)) (result, error) {
	p, stop, err := setUp()
	if err != nil {
		return result{}, err
	}
	defer stop()
	return a.measure(ctx, p)
}

func sidesInOrder(bareFirst bool) []string {
	if bareFirst {
		return []string{"bare", "ours"}
	}
	return []string{"ours", "bare"}
}

// repeat is a side that calls op from callers goroutines until min has passed; ops counts the calls.
func repeat(callers int, op func(ctx context.Context) error) func(ctx context.Context, min time.Duration) (work, error) {
	return func(ctx context.Context, min time.Duration) (work, error) {
		var done atomic.Int64
		var failed error
		var once sync.Once
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		start := time.Now()
		deadline := start.Add(min)
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				for time.Now().Before(deadline) && ctx.Err() == nil {
					if err := op(ctx); err != nil {
						once.Do(func() { failed = err; cancel() })
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		return work{ops: int(done.Load()), took: time.Since(start)}, failed
	}
}

// run is the whole run's results, written as a table and a JSON file at the end.
type benchRun struct {
	mu      sync.Mutex
	Date    string            `json:"date"`
	Args    []string          `json:"args"`
	Procs   int               `json:"gomaxprocs"`
	Load    map[string]string `json:"load_average"` // /proc/loadavg before and after
	Rounds  int               `json:"rounds"`
	Round   float64           `json:"min_round_seconds"`
	Results []result          `json:"results"`
}

var results = &benchRun{Load: map[string]string{}}

func (r *benchRun) add(res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Results = append(r.Results, res)
}

// write saves the results as JSON at path.
func (r *benchRun) write(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// table prints the results as a Markdown table, as the README quotes it.
func (r *benchRun) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("| measured | bare | ours | bare /s | ours /s | ratio ours/bare, median (min–max; IQR) | rounds × least round |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | --- | --- |\n")
	for _, res := range r.Results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.3f (%.3f–%.3f; %.3f–%.3f) | %d × %v |\n", res.Title, res.Bare, res.Ours,
			figure(res.BareRate.Median), figure(res.OursRate.Median), res.Ratio.Median, res.Ratio.Min, res.Ratio.Max, res.Ratio.Q1, res.Ratio.Q3,
			len(res.Rounds), time.Duration(res.MinRound*float64(time.Second)))
	}
	return b.String()
}

// figure prints a rate with as many decimals as it needs.
func figure(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// note adds figures particular to a measured pair (total time, peak memory, ...) to its result.
func (r *benchRun) note(key string, notes map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.Results {
		if r.Results[i].Key == key {
			if r.Results[i].Notes == nil {
				r.Results[i].Notes = map[string]string{}
			}
			maps.Copy(r.Results[i].Notes, notes)
		}
	}
}

// cpuSeconds is CPU time used so far: by this process (the front door, workers and embedded
// Temporal server all run in it) and by the whole machine (PostgreSQL and anything else besides).
type cpuSeconds struct{ process, machine float64 }

func cpuNow() cpuSeconds {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	c := cpuSeconds{process: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		// cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait, in USER_HZ (100 a second).
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		for i, v := range f[1:] {
			var n float64
			fmt.Sscan(v, &n)
			if i != 3 && i != 4 && i < 8 {
				c.machine += n / 100
			}
		}
	}
	return c
}

// addSince adds the CPU time used since before: defer c.addSince(cpuNow()) counts a function's.
func (c *cpuSeconds) addSince(before cpuSeconds) {
	now := cpuNow()
	c.process += now.process - before.process
	c.machine += now.machine - before.machine
}
