package apiv1

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
)

// Only a few whole-register downloads stream at once: the next is told to try again shortly
// (429, Retry-After), and a slot is free again as soon as a download ends.
func TestDownloadSlotsAreFewAndFreedWhenADownloadEnds(t *testing.T) {
	gin.SetMode(gin.TestMode)
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	release, started := make(chan struct{}), make(chan struct{}, downloadSlots)
	r := gin.New()
	r.GET("/slow", s.DownloadSlot, func(c *gin.Context) {
		started <- struct{}{}
		<-release
		c.String(http.StatusOK, "the register")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	get := func() *http.Response {
		res, err := http.Get(srv.URL + "/slow")
		if err != nil {
			t.Error(err)
			return nil
		}
		res.Body.Close()
		return res
	}
	var wg sync.WaitGroup
	for range downloadSlots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := get(); res != nil && res.StatusCode != http.StatusOK {
				t.Errorf("a download in a free slot: %d", res.StatusCode)
			}
		}()
	}
	for range downloadSlots {
		<-started
	}
	if res := get(); res == nil || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != downloadRetry {
		t.Fatalf("a download with every slot taken: %+v, want 429 with Retry-After %s", res, downloadRetry)
	}
	close(release)
	wg.Wait()
	if res := get(); res == nil || res.StatusCode != http.StatusOK {
		t.Errorf("a download after the others ended: %+v, want 200", res)
	}
}
