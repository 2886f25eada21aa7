package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"grantflow/http/headers"
	"grantflow/publication/threesixtygiving"
	"grantflow/store"
)

// The open data: a page saying what is published and under which licence, and the 360Giving
// files at stable addresses. No sign-in: everything in them is what the grants register shows.

type openDataView struct {
	Funder, LicenceURL, Prefix, StandardVersion string
	JSONPath, CSVPath                           string
	OGL                                         bool
}

func (s *Server) openData(c *gin.Context) {
	p := s.opts.OpenData
	s.render(c, http.StatusOK, "open_data", page{Title: "Open data: grants we have awarded", Nav: "open-data", Data: openDataView{
		Funder: p.FunderName, LicenceURL: p.LicenceURL, Prefix: p.Prefix, StandardVersion: threesixtygiving.Version,
		JSONPath: threesixtygiving.JSONPath, CSVPath: threesixtygiving.CSVPath, OGL: p.LicenceURL == threesixtygiving.OpenGovernmentLicence,
	}})
}

func (s *Server) openData360JSON(c *gin.Context) {
	s.stream360(c, "application/json; charset=utf-8", "360giving.json", func(w io.Writer) error {
		return s.opts.OpenData.WriteJSON(c.Request.Context(), s.opts.Store, store.RegisterFilter{}, w, s.now())
	})
}

func (s *Server) openData360CSV(c *gin.Context) {
	s.stream360(c, "text/csv; charset=utf-8", "360giving.csv", func(w io.Writer) error {
		return s.opts.OpenData.WriteCSV(c.Request.Context(), s.opts.Store, store.RegisterFilter{}, w)
	})
}

// stream360 sends a file as it is written, never holding it whole. The writers buffer and send
// nothing until they have something to send, so a failure before then (the database unreachable)
// is answered with the error page; a failure after the status line has gone cannot be, and the
// connection is cut instead, so the client sees a broken transfer rather than a file that looks
// complete.
func (s *Server) stream360(c *gin.Context, contentType, filename string, write func(io.Writer) error) {
	out := &attachment{c: c, contentType: contentType, filename: filename}
	err := write(out)
	switch {
	case err == nil:
		if !out.started { // nothing at all to send (cannot happen with a header row, but say so)
			out.Write(nil)
		}
	case errors.Is(err, threesixtygiving.ErrNoGrants):
		s.render(c, http.StatusNotFound, "error", page{Title: "Nothing published yet", Data: errorPage{
			Heading: "Nothing published yet",
			Lines:   []string{"No grants have been awarded yet, so there is no 360Giving file to download.", "The file will appear here with the first award."},
			Link:    "Read about our open data", LinkTo: threesixtygiving.PagePath,
		}})
	case !threesixtygiving.Started(err):
		s.serverError(c, err)
	default:
		s.opts.Logger.ErrorContext(c.Request.Context(), "open data cut short", "path", c.FullPath(), "error", err)
		abortConnection(c)
	}
}

// attachment writes the download's headers with its first bytes.
type attachment struct {
	c                     *gin.Context
	contentType, filename string
	started               bool
}

func (a *attachment) Write(p []byte) (int, error) {
	if !a.started {
		a.started = true
		h := a.c.Writer.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Content-Disposition", headers.Attachment(a.filename))
		h.Set("Cache-Control", "public, max-age=300")
		a.c.Status(http.StatusOK)
	}
	return a.c.Writer.Write(p)
}

// abortConnection closes the connection under a response already under way, so the client sees
// it end early (HTTP/1.1: the last chunk never comes). Over HTTP/2 the handler's panic with
// http.ErrAbortHandler would do it; gin's recovery would turn that into a logged 500, so there it
// simply ends.
func abortConnection(c *gin.Context) {
	// Gin refuses to hijack once a body is written; the server's own writer beneath it does not.
	var w http.ResponseWriter = c.Writer
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
	c.Abort()
}
