package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keyset pagination. Every list reads one page after (or before) the sort key of a row its caller
// has seen, never with OFFSET: a page deep in a million rows costs what the first one does, and rows
// added while someone pages on neither repeat nor push others off. A cursor is that sort key,
// opaque to callers (base64 of a JSON list of the key's columns as text).

// Page sizes of every list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageRequest asks for one page of a list: the rows after the After cursor (the next page), or the
// rows just before the Before cursor (the previous page), or the first page when both are empty.
type PageRequest struct {
	After  string
	Before string
	Size   int // DefaultPageSize when 0; at most MaxPageSize
}

// PageLinks are the cursors of the neighbouring pages; "" when there is none.
type PageLinks struct {
	Next     string
	Previous string
}

// ErrBadCursor is a cursor this list did not give out (or one that was changed).
var ErrBadCursor = errors.New("is not a cursor from this list")

// keyColumn is one column of a list's sort key, with its SQL type. A list runs down its key
// (newest first) unless it is read oldest first (sqlOldestFirst).
type keyColumn struct {
	expr, sqlType string
}

var (
	keyByID     = []keyColumn{{"id", "bigint"}}
	keyByTimeID = []keyColumn{{"at", "timestamptz"}, {"id", "bigint"}}
)

// qualified is the key with its columns read from the table alias.
func qualified(key []keyColumn, alias string, exprs ...string) []keyColumn {
	out := slices.Clone(key)
	for i := range out {
		if i < len(exprs) && exprs[i] != "" {
			out[i].expr = exprs[i]
		} else {
			out[i].expr = alias + "." + out[i].expr
		}
	}
	return out
}

func (p PageRequest) size() int {
	if p.Size <= 0 {
		return DefaultPageSize
	}
	return min(p.Size, MaxPageSize)
}

// sql is the condition, order and limit that read the page (one row more than the page, to tell
// whether there is another), with its values appended to args. cond is "TRUE" on a first page.
func (p PageRequest) sql(key []keyColumn, args []any) (cond, order string, outArgs []any, err error) {
	return p.sqlInOrder(key, args, false)
}

// sqlOldestFirst is sql for a list that runs up its key: oldest first.
func (p PageRequest) sqlOldestFirst(key []keyColumn, args []any) (cond, order string, outArgs []any, err error) {
	return p.sqlInOrder(key, args, true)
}

func (p PageRequest) sqlInOrder(key []keyColumn, args []any, oldestFirst bool) (cond, order string, outArgs []any, err error) {
	cols := make([]string, len(key))
	for i, k := range key {
		cols[i] = k.expr
	}
	direction, cursor, op := "DESC", p.After, "<"
	if p.Before != "" {
		direction, cursor, op = "ASC", p.Before, ">"
	}
	if oldestFirst { // the same, in the mirror
		direction, op = map[string]string{"DESC": "ASC", "ASC": "DESC"}[direction], map[string]string{"<": ">", ">": "<"}[op]
	}
	ordered := make([]string, len(cols))
	for i, c := range cols {
		ordered[i] = c + " " + direction
	}
	args = append(args, p.size()+1)
	order = fmt.Sprintf(" ORDER BY %s LIMIT $%d", strings.Join(ordered, ", "), len(args))
	if cursor == "" {
		return "TRUE", order, args, nil
	}
	values, err := decodeCursor(cursor, key)
	if err != nil {
		return "", "", nil, err
	}
	params := make([]string, len(values))
	for i, v := range values {
		args = append(args, v)
		params[i] = fmt.Sprintf("$%d::%s", len(args), key[i].sqlType)
	}
	return fmt.Sprintf("(%s) %s (%s)", strings.Join(cols, ", "), op, strings.Join(params, ", ")), order, args, nil
}

// ofWindow is the page of a list keyed by id out of window, every key of the list in its order
// (newest first, or oldest first): the keys sql's query would read, in the order it would read
// them (one more than the page, and a previous page's in reverse), for finishPage.
func (p PageRequest) ofWindow(window []int64, oldestFirst bool) ([]int64, error) {
	beyond := func(id, cursor int64) bool { return id < cursor } // after the cursor in the list's order
	if oldestFirst {
		beyond = func(id, cursor int64) bool { return id > cursor }
	}
	n := p.size() + 1
	cursorID := func(cursor string) (int64, error) {
		values, err := decodeCursor(cursor, keyByID)
		if err != nil {
			return 0, err
		}
		return values[0].(int64), nil
	}
	switch {
	case p.Before != "":
		c, err := cursorID(p.Before)
		if err != nil {
			return nil, err
		}
		end := slices.IndexFunc(window, func(id int64) bool { return id == c || beyond(id, c) })
		if end < 0 {
			end = len(window)
		}
		page := slices.Clone(window[max(0, end-n):end])
		slices.Reverse(page)
		return page, nil
	case p.After != "":
		c, err := cursorID(p.After)
		if err != nil {
			return nil, err
		}
		start := slices.IndexFunc(window, func(id int64) bool { return beyond(id, c) })
		if start < 0 {
			return nil, nil
		}
		return window[start:min(start+n, len(window))], nil
	}
	return window[:min(n, len(window))], nil
}

// finishPage trims the extra row read by sql, puts the rows newest first and says where the
// neighbouring pages start; keyOf gives a row's sort key, column by column.
func finishPage[T any](p PageRequest, rows []T, keyOf func(T) []any) ([]T, PageLinks) {
	more := len(rows) > p.size()
	if more {
		rows = rows[:p.size()]
	}
	var links PageLinks
	if p.Before != "" {
		slices.Reverse(rows)
		if more {
			links.Previous = encodeCursor(keyOf(rows[0]))
		}
		if len(rows) > 0 {
			links.Next = encodeCursor(keyOf(rows[len(rows)-1]))
		} else {
			links.Next = p.Before // nothing before it: the next page starts where it did
		}
		return rows, links
	}
	if more {
		links.Next = encodeCursor(keyOf(rows[len(rows)-1]))
	}
	if p.After != "" {
		if len(rows) > 0 {
			links.Previous = encodeCursor(keyOf(rows[0]))
		} else {
			links.Previous = p.After
		}
	}
	return rows, links
}

func encodeCursor(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		switch v := v.(type) {
		case time.Time:
			parts[i] = v.UTC().Format(time.RFC3339Nano)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	raw, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor reads a cursor back into its column values, each checked against its column's
// type so that a forged one is refused here rather than by PostgreSQL.
func decodeCursor(cursor string, key []keyColumn) ([]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var parts []string
	if err != nil || json.Unmarshal(raw, &parts) != nil || len(parts) != len(key) {
		return nil, ErrBadCursor
	}
	values := make([]any, len(parts))
	for i, part := range parts {
		switch key[i].sqlType {
		case "bigint":
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, ErrBadCursor
			}
			values[i] = n
		case "date":
			if _, err := time.Parse(time.DateOnly, part); err != nil {
				return nil, ErrBadCursor
			}
			values[i] = part
		case "timestamptz":
			at, err := time.Parse(time.RFC3339Nano, part)
			if err != nil {
				return nil, ErrBadCursor
			}
			values[i] = at
		default:
			values[i] = part
		}
	}
	return values, nil
}

// everyPage reads a whole list a page at a time (of the largest size), for work that needs all of
// it: a file, a sum. read is the read of one page.
func everyPage[T any](read func(PageRequest) ([]T, PageLinks, error)) ([]T, error) {
	all := []T{}
	p := PageRequest{Size: MaxPageSize}
	for {
		rows, links, err := read(p)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
		if links.Next == "" {
			return all, nil
		}
		p.After = links.Next
	}
}
