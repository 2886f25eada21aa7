package threesixtygiving

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// embeddedLoader answers the compiler's requests for the standard's two schemas from the embedded
// copies and refuses every other address: validation never reaches the network.
type embeddedLoader struct{}

func (embeddedLoader) Load(url string) (any, error) {
	var file string
	switch url {
	case packageSchemaURL:
		file = packageSchemaFile
	case grantSchemaURL, grantSchemaURL142:
		file = grantSchemaFile
	default:
		return nil, fmt.Errorf("360Giving schema: %s is not part of the embedded standard (nothing is fetched)", url)
	}
	raw, err := standardFS.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

type schemas struct{ pkg, grant *jsonschema.Schema }

var compiled = sync.OnceValues(func() (schemas, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(embeddedLoader{})
	c.AssertFormat() // dates, date-times and URIs are checked, not only annotated
	pkg, err := c.Compile(packageSchemaURL)
	if err != nil {
		return schemas{}, fmt.Errorf("compile the 360Giving package schema: %w", err)
	}
	grant, err := c.Compile(grantSchemaURL)
	if err != nil {
		return schemas{}, fmt.Errorf("compile the 360Giving grant schema: %w", err)
	}
	return schemas{pkg, grant}, nil
})

// ErrInvalid is wrapped by every refusal of a file that does not follow the standard.
var ErrInvalid = errors.New("not valid 360Giving data")

// Validate reads a 360Giving JSON package ({"grants": [...]}) and checks it against the package
// and grant schemas of the standard (1.4.3) and the codelists the schema leaves open
// (geoCodeType). nil means it is valid; an error wrapping ErrInvalid names what is wrong. It reads
// one grant at a time, so a package of any size is checked in little memory: each grant against
// the grant schema, the package's metadata with its first grant against the package schema, and
// the grants' uniqueness by a hash of each.
func Validate(r io.Reader) error {
	c, err := newChecker()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	invalid := func(err error) error { return fmt.Errorf("%w: not a JSON package: %v", ErrInvalid, err) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return invalid(fmt.Errorf("want an object, got %v (%v)", t, err))
	}
	head := map[string]any{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return invalid(err)
		}
		key, _ := t.(string)
		if _, dup := head[key]; dup || (key == "grants" && c.n > 0) {
			return fmt.Errorf("%w: the key %q appears twice", ErrInvalid, key)
		}
		if key != "grants" {
			var v any
			if err := dec.Decode(&v); err != nil {
				return invalid(err)
			}
			head[key] = v
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fmt.Errorf("%w: grants must be an array", ErrInvalid)
		}
		for dec.More() {
			var g any
			if err := dec.Decode(&g); err != nil {
				return invalid(err)
			}
			if err := c.grant(g); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			return invalid(err)
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid(errors.New("more after the package"))
	}
	return c.finish(head)
}

// checker checks grants one at a time and the package at the end.
type checker struct {
	schemas
	types Codelist
	n     int
	first any
	seen  map[[32]byte]int
}

func newChecker() (*checker, error) {
	s, err := compiled()
	if err != nil {
		return nil, err
	}
	types, err := LoadCodelist("geoCodeType.csv")
	if err != nil {
		return nil, err
	}
	return &checker{schemas: s, types: types, seen: map[[32]byte]int{}}, nil
}

func (c *checker) grant(g any) error {
	i := c.n
	c.n++
	if err := c.schemas.grant.Validate(g); err != nil {
		return fmt.Errorf("%w: grant %d: %v", ErrInvalid, i, err)
	}
	if err := checkCodelists(c.types, i, g); err != nil {
		return err
	}
	raw, err := json.Marshal(g)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	if j, dup := c.seen[sum]; dup {
		return fmt.Errorf("%w: grant %d repeats grant %d (grants must be unique)", ErrInvalid, i, j)
	}
	c.seen[sum] = i
	if i == 0 {
		c.first = g
	}
	return nil
}

// finish checks the package's metadata, with its first grant, against the package schema.
func (c *checker) finish(head map[string]any) error {
	if c.n == 0 {
		return fmt.Errorf("%w: the package has no grants (it must have at least one)", ErrInvalid)
	}
	head["grants"] = []any{c.first}
	if err := c.schemas.pkg.Validate(head); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// checkCodelists checks the values of grant i the schema ties to a codelist without an enum:
// each location's geoCodeType (beneficiary, recipient and funder locations).
func checkCodelists(types Codelist, i int, g any) error {
	grant, _ := g.(map[string]any)
	check := func(path string, locs any) error {
		list, _ := locs.([]any)
		for j, l := range list {
			loc, _ := l.(map[string]any)
			if t, ok := loc["geoCodeType"].(string); ok && !types[t] {
				return fmt.Errorf("%w: /grants/%d/%s/%d/geoCodeType: %q is not in the geoCodeType codelist", ErrInvalid, i, path, j, t)
			}
		}
		return nil
	}
	if err := check("beneficiaryLocation", grant["beneficiaryLocation"]); err != nil {
		return err
	}
	for _, party := range []string{"recipientOrganization", "fundingOrganization"} {
		orgs, _ := grant[party].([]any)
		for k, o := range orgs {
			org, _ := o.(map[string]any)
			if err := check(fmt.Sprintf("%s/%d/location", party, k), org["location"]); err != nil {
				return err
			}
		}
	}
	return nil
}
