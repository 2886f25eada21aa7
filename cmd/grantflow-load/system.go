package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/devtemporal"
	"grantflow/internal/throwawaydb"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// system is Grantflow running in this process on a throwaway database and Temporal server.
type system struct {
	URL   string
	Store *store.Store
	stops []func()
}

func (s *system) Stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// startSystem starts the embedded Temporal server (SQLite in a temporary directory), a database of
// its own on DATABASE_URL's server (the local one by default; dropped on Stop), the worker and the
// front door on a local port, as `make run` runs them.
func startSystem(ctx context.Context, logger *slog.Logger) (sys *system, err error) {
	sys = &system{}
	defer func() {
		if err != nil {
			sys.Stop()
		}
	}()
	dir, err := os.MkdirTemp("", "grantflow-load-")
	if err != nil {
		return sys, err
	}
	sys.stops = append(sys.stops, func() { os.RemoveAll(dir) })
	db, err := throwawaydb.New(app.EnvDatabaseURL(), "grantflow_load")
	if err != nil {
		return sys, fmt.Errorf("DATABASE_URL: %w", err)
	}
	sys.stops = append(sys.stops, func() { db.Drop() })
	addr, err := devtemporal.FreeAddress()
	if err != nil {
		return sys, err
	}
	srv, err := devtemporal.Start(ctx, devtemporal.Options{DatabaseFile: filepath.Join(dir, "temporal.db"), Address: addr,
		SearchAttributes: app.SearchAttributes, Logger: logger})
	if err != nil {
		return sys, err
	}
	sys.stops = append(sys.stops, func() { srv.Stop() })
	c, err := app.Dial(ctx, app.TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}, logger)
	if err != nil {
		return sys, err
	}
	sys.stops = append(sys.stops, c.Close)
	st, err := store.Open(ctx, db.URL, logger)
	if err != nil {
		return sys, err
	}
	sys.stops = append(sys.stops, func() { st.Close() })
	sys.Store = st
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		return sys, err
	}
	// No budget refuses anything the crowd does.
	if err := demo.FundEveryScheme(ctx, st, scheme.FinancialYear(time.Now())); err != nil {
		return sys, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sys, err
	}
	sys.URL = "http://" + ln.Addr().String()
	st.Outbox = notify.MustOutbox(sys.URL, "")
	const queue = "grantflow-load"
	w := app.NewWorker(c, queue, st, letters.Letterhead{Body: "Office of the Police and Crime Commissioner (load test)", Address: []string{"1 Load Street"}}, app.PanelFiguresOf(st))
	if err := w.Start(); err != nil {
		return sys, err
	}
	sys.stops = append(sys.stops, w.Stop)
	// Plain HTTP on loopback, so the session cookie goes without Secure (as in the e2e tests). The
	// crowd comes through loopback as through a reverse proxy, each person from an address of their
	// own (X-Forwarded-For): from one address, the sign-in throttle refuses a crowd signing in at once.
	h := app.HandlerOnQueue(c, st, app.Config{TokenTTL: 8 * time.Hour, InsecureCookies: true, TrustedProxies: []string{"127.0.0.1"}}, logger, queue)
	web := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go web.Serve(ln)
	sys.stops = append(sys.stops, func() { web.Close() })
	return sys, nil
}

// account is one person of the crowd; every one has the demo password, and staff the demo's
// published second-factor secret.
type account struct {
	Email string
	Role  scheme.Role
}

func (a account) staff() bool { return a.Role != scheme.RoleApplicant }

// projectWords make the seeded applications' titles, and are what officers search for.
var projectWords = []string{"Evening", "Youth", "Safer", "Streets", "Sport", "Mentoring", "Victims", "Women", "Knife", "Crime",
	"Community", "Garden", "Boxing", "Night", "Market", "Cafe", "Families", "Refuge", "Cycling", "Music"}

// seedCrowd adds the crowd: staffCount officers and assessors (alternately), and applicant
// organisations of one member each with drafts and submitted applications; the submitted ones go
// through the API, so each has its workflow and reaches assessment.
func seedCrowd(ctx context.Context, sys *system, users int, staffShare float64, drafts, submitted int) ([]account, error) {
	st := sys.Store
	staffCount := int(float64(users)*staffShare + 0.5)
	if staffCount < 1 && users > 1 {
		staffCount = 1
	}
	// One password hash for everyone: bcrypt for each of hundreds of people would take minutes.
	hash, err := bcrypt.GenerateFromPassword([]byte(demo.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	var crowd []account
	for i := range staffCount {
		role := scheme.RoleOfficer
		if i%2 == 1 {
			role = scheme.RoleAssessor
		}
		a := account{Email: fmt.Sprintf("%s%03d@load.opcc.example.org", role, i+1), Role: role}
		var id int64
		if err := st.DB.GetContext(ctx, &id, `INSERT INTO users (email, name, role, password_hash, email_verified_at) VALUES ($1,$2,$3,$4,now()) RETURNING id`,
			a.Email, fmt.Sprintf("Load %s %d", role, i+1), role, string(hash)); err != nil {
			return nil, fmt.Errorf("staff %s: %w", a.Email, err)
		}
		if err := st.EnrolSecondFactor(ctx, id, demo.TOTPSecret, time.Now()); err != nil {
			return nil, err
		}
		crowd = append(crowd, a)
	}
	var grassroots store.Scheme
	for _, sc := range must(st.Schemes(ctx)) {
		if sc.Kind == scheme.Grassroots {
			grassroots = sc
		}
	}
	round := must(st.Rounds(ctx, grassroots.ID))[0]
	start, end := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 9, 0)
	type toSubmit struct {
		token string
		id    int64
	}
	var submissions []toSubmit
	for i := range users - staffCount {
		a := account{Email: fmt.Sprintf("applicant%03d@load-group-%03d.example.org", i+1, i+1), Role: scheme.RoleApplicant}
		var orgID, userID int64
		if err := st.DB.GetContext(ctx, &orgID, `INSERT INTO organisations (name, org_type, address, postcode) VALUES ($1,$2,$3,$4) RETURNING id`,
			fmt.Sprintf("%s %s Group %d", projectWords[i%len(projectWords)], projectWords[(i/len(projectWords)+3)%len(projectWords)], i+1),
			scheme.OrgCommunityGroup, fmt.Sprintf("%d High Street, Melton Mowbray", i+1), "LE13 1AA"); err != nil {
			return nil, err
		}
		if err := st.DB.GetContext(ctx, &userID, `INSERT INTO users (email, name, role, password_hash, email_verified_at) VALUES ($1,$2,$3,$4,now()) RETURNING id`,
			a.Email, fmt.Sprintf("Load applicant %d", i+1), a.Role, string(hash)); err != nil {
			return nil, err
		}
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO organisation_members (organisation_id, user_id) VALUES ($1,$2)`, orgID, userID); err != nil {
			return nil, err
		}
		crowd = append(crowd, a)
		token, _, err := st.IssueToken(ctx, userID, time.Hour)
		if err != nil {
			return nil, err
		}
		for k := range drafts + submitted {
			amount := money.Pounds(int64(1000 + 250*((i+k)%16)))
			answers, err := json.Marshal(demo.GrassrootsAnswers(amount))
			if err != nil {
				return nil, err
			}
			title := fmt.Sprintf("%s %s project %d", projectWords[(i+k)%len(projectWords)], projectWords[(i+2*k+7)%len(projectWords)], k+1)
			id, err := st.CreateDraft(ctx, orgID, userID, store.Draft{SchemeID: grassroots.ID, RoundID: round.ID, Title: title,
				Purpose: "Evening sessions for young people in Melton.", AmountRequested: amount, ProjectStart: &start, ProjectEnd: &end,
				Areas: []string{"Melton"}, Priorities: []string{"Anti-social behaviour"}, Answers: answers})
			if err != nil {
				return nil, err
			}
			if k < submitted {
				submissions = append(submissions, toSubmit{token, id})
			}
		}
	}
	// Submitted through the API, sixteen at a time; a 503 try_again is sent again after its pause.
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for failed.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(submissions) {
					return
				}
				if err := submit(ctx, sys.URL, submissions[i].token, submissions[i].id); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	ids := make([]int64, len(submissions))
	for i, s := range submissions {
		ids[i] = s.id
	}
	return crowd, awaitScreened(ctx, st, ids)
}

func submit(ctx context.Context, base, token string, id int64) error {
	for range 10 {
		req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/applications/%d/submit", base, id), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusAccepted:
			return nil
		case http.StatusServiceUnavailable:
			time.Sleep(time.Second)
			continue
		}
		return fmt.Errorf("submit application %d: %d %s", id, res.StatusCode, body)
	}
	return fmt.Errorf("submit application %d: still 503 after ten attempts", id)
}

// awaitScreened waits until every submitted application has been screened into assessment.
func awaitScreened(ctx context.Context, st *store.Store, ids []int64) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var behind int
		err := st.DB.GetContext(ctx, &behind, `SELECT count(*) FROM applications WHERE id = ANY($1) AND status IN ($2, $3)`,
			int64Array(ids), workflows.StageSubmitted, workflows.StageScreening)
		if err != nil || behind == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("the submitted applications were not all screened within five minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
