package threesixtygiving

import (
	"bytes"
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

var packageSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(embeddedLoader{})
	c.AssertFormat() // dates, date-times and URIs are checked, not only annotated
	s, err := c.Compile(packageSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile the 360Giving package schema: %w", err)
	}
	return s, nil
})

// ErrInvalid is wrapped by every refusal of a file that does not follow the standard.
var ErrInvalid = errors.New("not valid 360Giving data")

// Validate reads a 360Giving JSON package ({"grants": [...]}) and checks it against the package
// and grant schemas of the standard (1.4.3) and the codelists the schema leaves open
// (geoCodeType). nil means it is valid; an error wrapping ErrInvalid names what is wrong.
func Validate(r io.Reader) error {
	doc, err := jsonschema.UnmarshalJSON(r)
	if err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	return validateDoc(doc)
}

func validateDoc(doc any) error {
	s, err := packageSchema()
	if err != nil {
		return err
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return checkCodelists(doc)
}

// checkCodelists checks the values the schema ties to a codelist without an enum: each
// location's geoCodeType (beneficiary, recipient and funder locations).
func checkCodelists(doc any) error {
	types, err := LoadCodelist("geoCodeType.csv")
	if err != nil {
		return err
	}
	grants, _ := doc.(map[string]any)["grants"].([]any)
	for i, g := range grants {
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
	}
	return nil
}
