package apiv1

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
)

// The whole-register downloads (the register's CSV and JSON, and the
// 360Giving files) are public and stream one award at a time, each holding a database connection
// and its snapshot for as long as its reader takes. A few readers who read slowly, or stop, must
// not take the connection pool from the office: so only a few stream at once, the others are told
// to try again shortly, and a download that is still being written after downloadTime is cut.
const (
	downloadSlots = 4
	downloadTime  = 5 * time.Minute
	downloadRetry = "10" // seconds, in Retry-After
)

// errDownloadsBusy is the answer when every download slot is in use.
var errDownloadsBusy = &httperr.Error{Status: http.StatusTooManyRequests, Code: "try_again",
	Message: "several downloads of the grants register are running just now; try again in a few seconds"}

// DownloadSlot lets a whole-register download through when one of the slots is free, and frees
// it when the download ends; otherwise it answers 429 with Retry-After.
func (s *Server) DownloadSlot(c *gin.Context) {
	s.downloadsOnce.Do(func() { s.downloads = make(chan struct{}, downloadSlots) })
	select {
	case s.downloads <- struct{}{}:
	default:
		c.Header("Retry-After", downloadRetry)
		httperr.Respond(c, s.Logger, errDownloadsBusy)
		c.Abort()
		return
	}
	defer func() { <-s.downloads }()
	// Not every writer can take a deadline (httptest's recorder cannot); the slot is what matters.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(downloadTime))
	c.Next()
}
