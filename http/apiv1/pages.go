package apiv1

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/store"
)

// PageQuery is a list's page as asked for: every value a string, checked by Page. After and
// Before are cursors from an earlier answer's next and previous; Size is the page size, under
// the name the list gives it (SizeName).
type PageQuery struct {
	After, Before, Size string
	SizeName            string
	// Sent is the whole query, to refuse the page numbers and offsets other APIs take.
	Sent url.Values
}

// pageQuery is a list's page parameters as the request sends them; sizeName is the page size's
// name ("per_page" unless the list says otherwise).
func pageQuery(c *gin.Context, sizeName string) PageQuery {
	return PageQuery{After: c.Query("after"), Before: c.Query("before"), Size: c.Query(sizeName), SizeName: sizeName, Sent: c.Request.URL.Query()}
}

// pageOf reads a list's page from the request, naming a bad parameter (422).
func pageOf(c *gin.Context, sizeName string) (store.PageRequest, error) {
	return pageQuery(c, sizeName).Page()
}

// searchParam reads a list's search text (q), naming it when it is not ordinary text of at most
// 200 characters (422).
func searchParam(c *gin.Context) (string, error) {
	v := c.Query("q")
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "", httperr.Field("q", "must be ordinary text")
	}
	if len(v) > 200 {
		return "", httperr.Field("q", "must be 200 characters or fewer")
	}
	return strings.TrimSpace(v), nil
}

// numberedPageParameters are how other APIs ask for a page: by number or offset. Lists here are
// read by cursor, so these are refused rather than ignored (ignored, they would answer the first
// page again and again, and a client would loop or stop believing it had everything).
var numberedPageParameters = []string{"page", "offset"}

// maxCursorLength bounds a cursor as sent; the ones we give out are far shorter.
const maxCursorLength = 200

// Page checks a list's page parameters, naming a bad one (422).
func (q PageQuery) Page() (store.PageRequest, error) {
	bad := map[string]string{}
	for _, name := range numberedPageParameters {
		if q.Sent.Has(name) {
			bad[name] = "is not supported: lists are read by cursor; for the next page send after= with the next value of the page before (before= with its previous value goes back)"
		}
	}
	cursor := func(field, v string) string {
		if len(v) > maxCursorLength || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			bad[field] = "must be the cursor from the list's next or previous, as given"
		}
		return v
	}
	p := store.PageRequest{After: cursor("after", q.After), Before: cursor("before", q.Before)}
	if p.After != "" && p.Before != "" {
		bad["before"] = "cannot be sent with after: ask for the page after a cursor, or the page before one"
	}
	name := q.SizeName
	if name == "" {
		name = "per_page"
	}
	if v := q.Size; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			bad[name] = "must be a whole number from 1 to " + strconv.Itoa(store.MaxPageSize)
		}
		p.Size = n
	}
	if len(bad) > 0 {
		return p, httperr.Fields(bad)
	}
	return p, nil
}

// pageError names the cursor the store did not recognise (422); any other error passes through.
func pageError(p store.PageRequest, err error) error {
	if !errors.Is(err, store.ErrBadCursor) {
		return err
	}
	if p.Before != "" {
		return httperr.Field("before", "must be the cursor from the list's previous, as given")
	}
	return httperr.Field("after", "must be the cursor from the list's next, as given")
}

// nextLinks are a page's cursors in an answer: null when there is no such page.
func nextLinks(links store.PageLinks) (next, previous *string) {
	if links.Next != "" {
		next = &links.Next
	}
	if links.Previous != "" {
		previous = &links.Previous
	}
	return next, previous
}
