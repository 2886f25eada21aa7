package router

import (
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/internal/metrics"
)

// observe counts and times each request by the route gin matched. It runs inside requestLog and
// outside recovery, so a panic is counted as the 500 it became.
func observe(m *metrics.HTTP) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		m.Observe(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
	}
}

// middleware is the chain every request passes through, outermost first.
func middleware(d Deps) []gin.HandlerFunc {
	if d.Unobserved {
		return []gin.HandlerFunc{recovery(d.Logger)}
	}
	chain := []gin.HandlerFunc{requestLog(d.Logger)}
	if d.Metrics != nil {
		chain = append(chain, observe(d.Metrics))
	}
	return append(chain, recovery(d.Logger))
}
