package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/store"
)

// registerThatFails streams n grants, then fails (a connection lost mid-stream); none streams none.
type registerThatFails struct {
	n    int
	none bool
}

func (r registerThatFails) EachRegisterGrant(_ context.Context, _ store.RegisterFilter, fn func(store.RegisterGrant) error) error {
	for i := range r.n {
		if err := fn(store.RegisterGrant{Reference: fmt.Sprintf("R-%d", i), Title: "Title", Purpose: "Purpose", Recipient: "Group", OrganisationID: 1,
			Amount: 100, AwardedAt: time.Now()}); err != nil {
			return err
		}
	}
	if r.none {
		return nil
	}
	return errors.New("the connection to the database was lost")
}
func (registerThatFails) Schemes(context.Context) ([]store.Scheme, error) { return nil, nil }
func (registerThatFails) RegisterMostPlaces(context.Context) (int, error) { return 0, nil }

// A download that fails before anything is sent is the error page; one that fails after the
// status line has gone is cut off, so the client sees a broken transfer, never a complete-looking file.
func TestOpenDataFailuresNeverLookLikeAWholeFile(t *testing.T) {
	s := New(Options{})
	engine := gin.New()
	engine.GET("/:n", func(c *gin.Context) {
		src := registerThatFails{}
		switch c.Param("n") {
		case "none":
			src.none = true
		case "many":
			src.n = 5000 // well past the writer's 64 KiB buffer
		}
		s.stream360(c, "application/json", "360giving.json", func(w io.Writer) error {
			return s.opts.OpenData.WriteJSON(c.Request.Context(), src, store.RegisterFilter{}, w, time.Now())
		})
	})
	srv := httptest.NewServer(engine)
	defer srv.Close()
	get := func(path string) (int, string, error) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return res.StatusCode, string(body), err
	}
	if status, body, err := get("/early"); err != nil || status != http.StatusInternalServerError || !strings.Contains(body, "Sorry, there is a problem") {
		t.Errorf("a failure before the first grant: %d %v %.200s", status, err, body)
	}
	if status, body, err := get("/none"); err != nil || status != http.StatusNotFound || !strings.Contains(body, "Nothing published yet") {
		t.Errorf("no grants: %d %v %.200s", status, err, body)
	}
	status, body, err := get("/many")
	if status != http.StatusOK || err == nil {
		t.Errorf("a failure after 64 KiB was sent: status %d, body of %d bytes read with error %v; want 200 and a broken transfer", status, len(body), err)
	}
}
