package web

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

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
			if k != pg.Prefix+"after" && k != pg.Prefix+"before" && k != pg.Prefix+pageFromParam && k != "page" {
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

// maxSearchLength bounds the text of a list's search.
const maxSearchLength = 200

// searchProblem is what is wrong with the text of a list's search, "" when nothing is.
func searchProblem(v string) string {
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return "Search terms must be ordinary text"
	case len(v) > maxSearchLength:
		return "Search terms must be 200 characters or fewer"
	}
	return ""
}

// searchText is the text of a list's search, or "" (everything) for text searchProblem refuses.
func searchText(v string) string {
	if searchProblem(v) != "" {
		return ""
	}
	return strings.TrimSpace(v)
}

// searchBox is a list's search form (the "search-box" template): one text field sent by GET to
// Action, keeping the list's other filters (Keep) and starting again from the first page.
type searchBox struct {
	Action, Name, Label, Hint string
	Value, Error              string
	Keep                      []hiddenField
	Clear                     string // the list without the search
}

type hiddenField struct{ Name, Value string }

// newSearchBox is the search of the list at action, with the text as sent (q) and the filters to keep.
func newSearchBox(action, name, label, hint string, q url.Values, keep ...string) searchBox {
	b := searchBox{Action: action, Name: name, Label: label, Hint: hint, Error: searchProblem(q.Get(name))}
	if b.Error == "" {
		b.Value = strings.TrimSpace(q.Get(name))
	}
	clear := url.Values{}
	for _, k := range keep {
		if v := q.Get(k); v != "" {
			b.Keep = append(b.Keep, hiddenField{k, v})
			clear.Set(k, v)
		}
	}
	b.Clear = action
	if len(clear) > 0 {
		b.Clear += "?" + clear.Encode()
	}
	return b
}

// The position of a page in its list travels in its links as "start" (the number of its first
// row), so that a page can say which rows it shows: a cursor knows where it is, not how far in.
// The first page is always 1, so a number edited by hand is put right by going back to it.
const pageFromParam = "start"

// pageStart is the number of the first row of the page the address asks for: 1 on a first page.
func (pg pager) pageStart(q url.Values, p store.PageRequest) int {
	if p.After == "" && p.Before == "" {
		return 1
	}
	n, err := strconv.Atoi(q.Get(pg.Prefix + pageFromParam))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// numbered adds to the page's links the numbers of their first rows: the page starts at start,
// shows shown rows and is one of pages of size rows; the page before a first page is none.
func (pg pager) numbered(p pagination, links store.PageLinks, start, shown, size int) pagination {
	if links.Previous == "" {
		start = 1
	}
	set := func(href string, from int) string {
		if href == "" {
			return ""
		}
		path, anchor, _ := strings.Cut(href, "#")
		out := path + "&" + url.Values{pg.Prefix + pageFromParam: {strconv.Itoa(from)}}.Encode()
		if anchor != "" {
			out += "#" + anchor
		}
		return out
	}
	p.Next = set(p.Next, start+shown)
	p.Previous = set(p.Previous, max(1, start-size))
	return p
}

// britishNumbers writes numbers as people read them: 10,000.
var britishNumbers = message.NewPrinter(language.BritishEnglish)

// showing says how many rows a page of a list shows, as GOV.UK lists do: "1 application",
// "27 applications" (all on one page), "Showing 26 to 27 of 27 applications", and for a count
// that stopped counting, "Showing 1 to 25 of more than 10,000 applications". one and many name a
// row ("application", "applications").
func showing(start, shown, total int, capped bool, one, many string) string {
	noun := func(n int) string {
		if n == 1 {
			return one
		}
		return many
	}
	of := britishNumbers.Sprintf("%d", total)
	if capped {
		of = "more than " + of
	}
	if !capped && start == 1 && shown == total {
		return britishNumbers.Sprintf("%d %s", total, noun(total))
	}
	end := start + shown - 1
	return britishNumbers.Sprintf("Showing %d to %d of %s %s", start, end, of, many)
}
