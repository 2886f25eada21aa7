// Package router builds the Gin engine: middleware common to every route, then each front door.
package router

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/http/httperr"
	"grantflow/http/openapi"
	"grantflow/http/web"
	"grantflow/internal/metrics"
	"grantflow/internal/requestid"
	"grantflow/internal/securitylog"
	"grantflow/letters"
	"grantflow/publication/threesixtygiving"
	"grantflow/store"
)

// Deps is what the front doors need.
type Deps struct {
	Temporal client.Client
	Store    *store.Store
	Logger   *slog.Logger
	TokenTTL time.Duration
	// TaskQueue overrides workflows.TaskQueue (tests run each case on its own queue).
	TaskQueue string
	// Clock overrides the time service applications run on (tests and demos).
	Clock func() time.Time
	// InsecureCookies drops Secure from the pages' cookies (tests over plain HTTP only).
	InsecureCookies bool
	// Letterhead heads the documents the API writes on request (finance's payee bank details notice).
	Letterhead letters.Letterhead
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives the client address (gin's
	// ClientIP, which sign-in throttling counts by); none by default.
	TrustedProxies []string
	// OpenData names the funder, prefix and licence of the published 360Giving files.
	OpenData threesixtygiving.Publisher
	// TemporalUI and TemporalNamespace give staff a link from an application to its workflow in
	// the Temporal Web UI (web.Options); no TemporalUI, no link.
	TemporalUI, TemporalNamespace string
	// TemporalCheck overrides /readyz's Temporal check (nil: CheckHealth on Temporal; tests).
	TemporalCheck func(context.Context) error
	// Metrics, when set, counts and times every request (METRICS_ADDR; internal/metrics).
	Metrics *metrics.HTTP
	// Unobserved leaves out request logging and metrics: only grantflow-bench sets it, for the
	// baseline their cost on a page read is measured against.
	Unobserved bool
	// StepTimeout bounds a request's wait for Temporal when it starts or updates a workflow.
	StepTimeout time.Duration
	// CSRFKey and CSRFPreviousKey sign and check the pages' form tokens (web.Options).
	CSRFKey, CSRFPreviousKey []byte
}

// maxBody caps request bodies; nothing a person types comes near it.
const maxBody = 1 << 20

// New returns the engine serving /api/v1, the OpenAPI document, the pages and the health checks
// (/livez, its older name /healthz, and /readyz; health.go).
func New(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Gin believes every proxy unless told otherwise: only the configured ones are (LoadConfig
	// checked their form; a bad one here trusts none).
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Logger.Error("TRUSTED_PROXIES refused; trusting no proxy", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(append(middleware(d), logRefusals(d.Logger))...) // metrics.go; security events for 401 and 403
	registerHealth(r, d)
	openapi.Register(r)
	api := &apiv1.Server{Temporal: d.Temporal, Store: d.Store, Logger: d.Logger, TokenTTL: d.TokenTTL, TaskQueue: d.TaskQueue, Clock: d.Clock, Letterhead: d.Letterhead, StepTimeout: d.StepTimeout}
	// Secure, __Host- cookies (not InsecureCookies) say the site is served over https.
	siteHTTPS := !d.InsecureCookies
	api.Register(r.Group("/api/v1", apiHeaders(siteHTTPS), limitBody)) // the pages cap their own bodies: forms small, uploads larger
	pages := web.New(web.Options{Store: d.Store, Logger: d.Logger, SessionTTL: d.TokenTTL, Clock: d.Clock, API: api, InsecureCookies: d.InsecureCookies, OpenData: d.OpenData,
		TemporalUI: d.TemporalUI, TemporalNamespace: d.TemporalNamespace, Key: d.CSRFKey, PreviousKey: d.CSRFPreviousKey})
	pages.Register(r)
	// An unknown address is the API's JSON 404 under /api/, otherwise the pages' own.
	r.NoRoute(append([]gin.HandlerFunc{func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			setAPIHeaders(c, siteHTTPS)
			httperr.Respond(c, d.Logger, httperr.NotFound("route"))
			c.Abort()
		}
	}}, pages.NotFoundHandlers()...)...)
	return r
}

// apiHeaders go on every /api/v1 response: nothing the API answers is for a shared cache (a
// handler may still choose its own Cache-Control), no body is sniffed into another type, and
// HSTS by the same rule as the pages (headers.SetStrictTransport).
func apiHeaders(siteHTTPS bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		setAPIHeaders(c, siteHTTPS)
		c.Next()
	}
}

func setAPIHeaders(c *gin.Context, siteHTTPS bool) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	headers.SetStrictTransport(h, c.Request, siteHTTPS)
}

func limitBody(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	c.Next()
}

// recovery turns a panic into a logged 500 with the standard error body.
func recovery(logger *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		logger.Error("panic", "path", c.Request.URL.Path, "panic", err, requestid.LogKey, requestid.From(c.Request.Context()))
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": gin.H{"code": "internal", "message": "something went wrong on our side; it has been logged"}})
	})
}

// requestLog comes first: it names the request (the caller's X-Request-Id when it is a sane
// token, else a fresh one), answers with that name, puts it in the request's context (whence
// the Temporal client carries it into workflows and activities) and, when the request is done,
// logs one line about it. The line names the route gin matched, not the path with its ids, and
// never the query string, body, cookies or tokens.
func requestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(requestid.Header)
		if !requestid.Valid(id) {
			id = requestid.New()
		}
		c.Header(requestid.Header, id)
		c.Request = c.Request.WithContext(requestid.With(c.Request.Context(), id))
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.String(requestid.LogKey, id),
			slog.String("client", c.ClientIP()))
	}
}

// logRefusals logs each 401 and 403 as a security event, with the route and whoever the token or
// session named, unless the handler has logged why already (a wrong password is sign_in_failed).
func logRefusals(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, logged := securitylog.Track(c.Request.Context())
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		event := securitylog.Unauthenticated
		switch c.Writer.Status() {
		case http.StatusUnauthorized:
		case http.StatusForbidden:
			event = securitylog.Forbidden
		default:
			return
		}
		if logged() {
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		attrs := []securitylog.Attr{securitylog.Route(c.Request.Method, route), securitylog.Client(c.ClientIP())}
		if u, ok := apiv1.UserOf(c); ok {
			attrs = append(attrs, securitylog.User(u.ID, string(u.Role)), securitylog.Via(securitylog.ViaAPI))
		} else if u, ok := web.UserOf(c); ok {
			attrs = append(attrs, securitylog.User(u.ID, string(u.Role)), securitylog.Via(securitylog.ViaPage))
		}
		securitylog.Log(ctx, logger, event, attrs...)
	}
}
