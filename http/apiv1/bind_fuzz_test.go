package apiv1

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
)

// stepRequests are the JSON bodies of the application steps (stepHandler's request types).
var stepRequests = []func() any{
	func() any { return new(ConflictRequest) }, func() any { return new(AssessmentRequest) },
	func() any { return new(DecisionRequest) }, func() any { return new(AnswerRequest) },
	func() any { return new(BankDetailsRequest) }, func() any { return new(PaymentSignOffRequest) },
	func() any { return new(PaymentRequest) }, func() any { return new(ReportRequest) },
	func() any { return new(ReviewRequest) }, func() any { return new(PanelRequest) },
	func() any { return new(ModerationRequest) }, func() any { return new(ConditionsRequest) },
	func() any { return new(ReturnRequest) }, func() any { return new(ReturnReviewRequest) },
	func() any { return new(VariationRequest) }, func() any { return new(VariationAcceptanceRequest) },
	func() any { return new(TerminationRequest) }, func() any { return new(WaiverRequest) },
	func() any { return new(RepaymentRequest) }, func() any { return new(WriteOffRequest) },
}

// jsonNames are the names a request's body may use at the top level, through embedded structs.
func jsonNames(t reflect.Type, into map[string]bool) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case sf.Anonymous && name == "":
			jsonNames(sf.Type, into)
		case name == "":
			into[sf.Name] = true
		default:
			into[name] = true
		}
	}
	return into
}

var firstName = regexp.MustCompile(`^[^.\[]*`)

// FuzzBindSteps: any body sent to a step is bound or refused without a panic: a refusal is a 400, 413
// or 422, and a 422 names fields the request has ("scores[1].score" starts with a field of it, "body"
// for the whole) or, for text that is not UTF-8, the path of keys as the caller wrote them; a body that binds holds only text that can be stored as sent (UTF-8, no NUL).
func FuzzBindSteps(f *testing.F) {
	for i, body := range []string{
		`{"has_conflict":true,"details":"Trustee of the applicant"}`, `{"scores":[{"criterion":"need","score":"five"}]}`,
		`{"outcome":"approve","amount_pence":-1,"conditions":["x\u0000y"]}`, "{\"answer\":\"\xff\xfe\"}",
		`{"account_name":"Cymdeithas Ŵyr Łódź","sort_code":40,"account_number":"12345678"}`, `[1,2]`, `"text"`, ``, `{`,
		`{"amount_pence":1e400}`, `{"years":[{"financial_year":"2026"}]}`, "{\"content\":{\"indicators\":[{\"key\":\"\xc3\",\"actual\":1}]}}", "{\"colour\":\"\xff\"}", "{\"DETAILS\":\"\xff\"}",
	} {
		f.Add(uint8(i), []byte(body))
	}
	gin.SetMode(gin.TestMode)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		req := stepRequests[int(which)%len(stepRequests)]()
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/applications/1/step", bytes.NewReader(body))
		err := bind(c, req)
		if err == nil {
			if field, reason := badText(reflect.ValueOf(req), ""); field != "" {
				t.Fatalf("%T bound %q holding text that cannot be stored: %s %s", req, body, field, reason)
			}
			return
		}
		var he *httperr.Error
		if !errors.As(err, &he) {
			t.Fatalf("%T refused %q with %v, not an HTTP error", req, body, err)
		}
		switch he.Status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if strings.TrimSpace(he.Message) == "" {
				t.Fatalf("%T refused %q with a %d and no message", req, body, he.Status)
			}
		case http.StatusUnprocessableEntity:
			names := jsonNames(reflect.TypeOf(req), map[string]bool{"body": true})
			if len(he.Fields) == 0 {
				t.Fatalf("%T refused %q with a 422 naming no field: %v", req, body, he)
			}
			for field, reason := range he.Fields {
				first := firstName.FindString(field)
				// Text that is not UTF-8 is named by the path of keys the caller wrote, which may hold "." or "[".
				written := reason == reasonNotUTF8 && field != ""
				if !names[first] && !written || strings.TrimSpace(reason) == "" {
					t.Fatalf("%T refused %q on %q (%q), not a field of the request with a reason", req, body, field, reason)
				}
			}
		default:
			t.Fatalf("%T refused %q with a %d: %v", req, body, he.Status, he)
		}
	})
}
