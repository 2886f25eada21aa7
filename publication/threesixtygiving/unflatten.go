package threesixtygiving

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A CSV in the standard's flattening is read back into the JSON shape by the schema's own titles,
// as the standard's conversion tooling does, so a spreadsheet is checked against the same schema
// as a JSON package: "Amount Awarded" is amountAwarded, "Recipient Org:Identifier" is
// recipientOrganization[0].id, "Beneficiary Location:1:Geographic Code" is
// beneficiaryLocation[1].geoCode.

// field is one property of the grant schema as a column title reaches it.
type field struct {
	key    string
	number bool              // the schema's type includes number
	array  bool              // an array of objects (the sub-titles below)
	object bool              // a single object (the sub-titles below)
	sub    map[string]*field // by title, for arrays and objects
}

var grantFields = sync.OnceValues(func() (map[string]*field, error) {
	raw, err := standardFS.ReadFile(grantSchemaFile)
	if err != nil {
		return nil, err
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil, fmt.Errorf("read the 360Giving grant schema: %w", err)
	}
	defs, _ := schema["$defs"].(map[string]any)
	return fieldsOf(schema, defs), nil
})

func fieldsOf(obj map[string]any, defs map[string]any) map[string]*field {
	props, _ := obj["properties"].(map[string]any)
	out := map[string]*field{}
	for key, p := range props {
		prop, _ := p.(map[string]any)
		f := &field{key: key, number: hasType(prop, "number")}
		target := prop
		if items, ok := prop["items"].(map[string]any); ok && hasType(prop, "array") {
			target = deref(items, defs)
			f.array = target["properties"] != nil
		} else if ref, ok := prop["$ref"].(string); ok {
			target = deref(map[string]any{"$ref": ref}, defs)
			f.number = f.number || hasType(target, "number")
			f.object = target["properties"] != nil
		} else {
			f.object = prop["properties"] != nil
		}
		if f.array || f.object {
			f.sub = fieldsOf(target, defs)
		}
		title, _ := prop["title"].(string)
		if title == "" {
			title, _ = target["title"].(string)
		}
		if title != "" {
			out[title] = f
		}
	}
	return out
}

func deref(s map[string]any, defs map[string]any) map[string]any {
	if ref, ok := s["$ref"].(string); ok {
		if d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); ok {
			return d
		}
	}
	return s
}

func hasType(s map[string]any, t string) bool {
	switch v := s["type"].(type) {
	case string:
		return v == t
	case []any:
		return slices.Contains(v, any(t))
	}
	return false
}

// UnflattenCSV reads a CSV of grants in the standard's flattening into a JSON package
// ({"grants": [...]}). A column whose title the schema does not know is an error, so a misspelt
// title is caught rather than dropped.
func UnflattenCSV(r io.Reader) (map[string]any, error) {
	grants := []any{}
	err := eachCSVGrant(r, func(g map[string]any) error { grants = append(grants, g); return nil })
	if err != nil {
		return nil, err
	}
	return map[string]any{"grants": grants}, nil
}

// eachCSVGrant reads a CSV in the standard's flattening one row at a time, handing each grant in
// its JSON shape to fn.
func eachCSVGrant(r io.Reader, fn func(map[string]any) error) error {
	fields, err := grantFields()
	if err != nil {
		return err
	}
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: no header row: %v", ErrInvalid, err)
	}
	type column struct {
		top   *field
		index int
		sub   *field
	}
	cols := make([]column, len(head))
	for i, title := range head {
		parts := strings.Split(title, ":")
		top := fields[parts[0]]
		if top == nil {
			return fmt.Errorf("%w: column %q is not a title of the 360Giving schema", ErrInvalid, title)
		}
		c := column{top: top}
		rest := parts[1:]
		if len(rest) > 0 && top.array {
			if n, err := strconv.Atoi(rest[0]); err == nil && n >= 0 {
				c.index, rest = n, rest[1:]
			}
		}
		switch {
		case len(rest) == 0 && !top.array && !top.object:
		case len(rest) == 1 && (top.array || top.object) && top.sub[rest[0]] != nil:
			c.sub = top.sub[rest[0]]
		default:
			return fmt.Errorf("%w: column %q is not a title of the 360Giving schema", ErrInvalid, title)
		}
		cols[i] = c
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		g := map[string]any{}
		for i, v := range rec {
			if v == "" {
				continue
			}
			c := cols[i]
			leaf := c.top
			if c.sub != nil {
				leaf = c.sub
			}
			var val any = v
			if leaf.number {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					return fmt.Errorf("%w: line %d, column %q: %q is not a number", ErrInvalid, line, head[i], v)
				}
				val = json.Number(v)
			}
			switch {
			case c.sub == nil:
				g[c.top.key] = val
			case c.top.object:
				obj, _ := g[c.top.key].(map[string]any)
				if obj == nil {
					obj = map[string]any{}
					g[c.top.key] = obj
				}
				obj[c.sub.key] = val
			default:
				list, _ := g[c.top.key].([]any)
				for len(list) <= c.index {
					list = append(list, map[string]any{})
				}
				list[c.index].(map[string]any)[c.sub.key] = val
				g[c.top.key] = list
			}
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// ValidateCSV reads a CSV in the standard's flattening and checks it as Validate checks a JSON
// package, one row at a time. A CSV with a header and no grants is refused, as an empty package is.
func ValidateCSV(r io.Reader) error {
	c, err := newChecker()
	if err != nil {
		return err
	}
	if err := eachCSVGrant(r, func(g map[string]any) error { return c.grant(g) }); err != nil {
		return err
	}
	return c.finish(map[string]any{})
}
