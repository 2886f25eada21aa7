package apiv1

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"grantflow/http/httperr"
)

// A page number or an offset, which other APIs take, is refused by name with the way to page
// here, rather than ignored (which would answer the first page again and again).
func TestPageNumbersAndOffsetsAreRefusedByName(t *testing.T) {
	for _, sent := range []url.Values{{"page": {"2"}}, {"offset": {"50"}}, {"page": {""}}, {"page": {"2"}, "offset": {"50"}}} {
		_, err := PageQuery{Sent: sent}.Page()
		he := (*httperr.Error)(nil)
		if !errors.As(err, &he) || he.Status != 422 {
			t.Fatalf("%v: %v, want 422", sent, err)
		}
		for name := range sent {
			if msg := he.Fields[name]; !strings.Contains(msg, "cursor") || !strings.Contains(msg, "after") || !strings.Contains(msg, "before") {
				t.Errorf("%v: %s is %q, want it named and told to use the after and before cursors", sent, name, msg)
			}
		}
	}
	if _, err := (PageQuery{Sent: url.Values{"per_page": {"10"}}, Size: "10"}).Page(); err != nil {
		t.Errorf("an ordinary page: %v", err)
	}
}
