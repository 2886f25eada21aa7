package web

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"grantflow/store"
)

// pagination is a list's "Previous page" and "Next page" links (the "pagination" template), ""
// where there is no such page. Lists are read by cursor (store/pages.go), so there are no numbers.
type pagination struct {
	Label          string // what the pages are of, for screen readers
	Previous, Next string
}

// pager names a list's cursors in the address: after and before, or with a prefix for one of
// several lists on a page ("decision-after"), whose links then go to the list's own heading.
type pager struct {
	Prefix string // "" for the page's only list
	Anchor string // the id of the list's heading, "" for none
}

// request reads the page the address asks for: after or before a cursor from one of our own
// links. A value that cannot be a cursor reads as the first page rather than an error: it can only
// come from a hand-edited address (firstPageIfBadCursor does the same for a forged one).
func (pg pager) request(q url.Values, size int) store.PageRequest {
	ok := func(v string) string {
		if len(v) > 200 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return ""
		}
		return v
	}
	p := store.PageRequest{After: ok(q.Get(pg.Prefix + "after")), Before: ok(q.Get(pg.Prefix + "before")), Size: size}
	if p.Before != "" {
		p.After = ""
	}
	return p
}

// links are the list's neighbouring pages at path, keeping the address's other parameters (its
// filters, and the other lists' cursors).
func (pg pager) links(label, path string, q url.Values, links store.PageLinks) pagination {
	href := func(name, cursor string) string {
		if cursor == "" {
			return ""
		}
		v := url.Values{}
		for k, vs := range q {
			if k != pg.Prefix+"after" && k != pg.Prefix+"before" && k != "page" {
				v[k] = vs
			}
		}
		v.Set(pg.Prefix+name, cursor)
		out := path + "?" + v.Encode()
		if pg.Anchor != "" {
			out += "#" + pg.Anchor
		}
		return out
	}
	return pagination{Label: label, Previous: href("before", links.Previous), Next: href("after", links.Next)}
}

// pageRequest and paginationOf are the pager of a page's only list.
func pageRequest(q url.Values, size int) store.PageRequest { return pager{}.request(q, size) }

func paginationOf(label, path string, q url.Values, links store.PageLinks) pagination {
	return pager{}.links(label, path, q, links)
}

// firstPageIfBadCursor reads the list again from its first page when the cursor was not one of
// ours; list is the read for a page.
func firstPageIfBadCursor[T any](p store.PageRequest, list func(store.PageRequest) (T, error)) (T, store.PageRequest, error) {
	got, err := list(p)
	if errors.Is(err, store.ErrBadCursor) {
		p.After, p.Before = "", ""
		got, err = list(p)
	}
	return got, p, err
}
