package apiv1

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

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

// The server's WriteTimeout (HTTP_WRITE_TIMEOUT) bounds ordinary answers, but a whole-register
// download sets its own deadline, so a stream that outlasts the server's timeout is not cut.
func TestDownloadSlotOutlastsTheServersWriteTimeout(t *testing.T) {
	gin.SetMode(gin.TestMode)
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	stream := func(c *gin.Context) {
		c.String(http.StatusOK, "first award\n")
		c.Writer.Flush()
		time.Sleep(300 * time.Millisecond) // a slow reader, past the server's write timeout
		c.String(http.StatusOK, "second award\n")
	}
	r := gin.New()
	r.GET("/register", s.DownloadSlot, stream)
	r.GET("/other", stream)
	srv := httptest.NewUnstartedServer(r)
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	get := func(path string) (string, error) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	if body, err := get("/register"); err != nil || body != "first award\nsecond award\n" {
		t.Errorf("a download longer than the write timeout: %q, %v; want both awards", body, err)
	}
	// Without the download's own deadline the server's cuts the answer: the timeout is in force.
	if body, err := get("/other"); err == nil && body == "first award\nsecond award\n" {
		t.Error("an ordinary answer outlasted the server's write timeout")
	}
}
