package schemefile_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"grantflow/examples/schemes"
	"grantflow/schemefile"
)

// FuzzParse: any file is either read, or refused with problems that each give a reason; a file that
// is read validates without a panic, each of its problems naming the field at fault; and a valid
// definition written back as JSON reads and validates again as the same definition.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"grassroots.yaml", "commissioned-services.yaml"} {
		data, err := schemes.Files.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "null", "slug: x\n---\nslug: y\n", "rules: {max_amount_pence: \"lots\"}", "rounds: [{opens_at: yesterday}]", "{\"colour\": 1}", "[1, 2]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := schemefile.Parse(data)
		if err != nil {
			var problems schemefile.Problems
			if !errors.As(err, &problems) || len(problems) == 0 {
				t.Fatalf("Parse refused %q with %v, not a list of problems", data, err)
			}
			for _, p := range problems {
				if strings.TrimSpace(p.Reason) == "" {
					t.Fatalf("Parse refused %q with a problem at %q giving no reason", data, p.Path)
				}
			}
			return
		}
		problems := d.Validate()
		for _, p := range problems {
			if strings.TrimSpace(p.Path) == "" || strings.TrimSpace(p.Reason) == "" {
				t.Fatalf("Validate of %q: problem %+v does not name a field and a reason", data, p)
			}
		}
		if len(problems) > 0 {
			return
		}
		written, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("the valid definition read from %q does not write as JSON: %v", data, err)
		}
		again, err := schemefile.Parse(written)
		if err != nil {
			t.Fatalf("the valid definition read from %q, written as %s, does not read back: %v", data, written, err)
		}
		if p := again.Validate(); len(p) > 0 {
			t.Fatalf("the valid definition read from %q, written as %s, is no longer valid: %v", data, written, p)
		}
		if rewritten, _ := json.Marshal(again); string(rewritten) != string(written) {
			t.Fatalf("the definition read from %q changes on a round trip:\n%s\n%s", data, written, rewritten)
		}
	})
}
