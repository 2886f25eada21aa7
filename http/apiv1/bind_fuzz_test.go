package apiv1

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/store"
	"grantflow/workflows"
)

// stepRequests are the JSON bodies of the application steps (stepHandler's request types), of the
// bank details call-back and of finance's batches (TestStepRequestsAreEveryStepBody keeps the list whole).
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
	func() any { return new(BankCallBackRequest) }, func() any { return new(PaymentBatchRequest) },
	func() any { return new(PaidBatchRequest) },
}

// TestStepRequestsAreEveryStepBody: every method of Server that takes a step on one application
// (ctx, user, id, body), bank details included, or on a batch (ctx, user, body) has its body in stepRequests, so FuzzBindSteps
// binds each of them.
func TestStepRequestsAreEveryStepBody(t *testing.T) {
	fuzzed := map[reflect.Type]bool{}
	for _, req := range stepRequests {
		fuzzed[reflect.TypeOf(req()).Elem()] = true
	}
	ctx, user := reflect.TypeFor[context.Context](), reflect.TypeFor[store.User]()
	server := reflect.TypeFor[*Server]()
	steps := 0
	for i := range server.NumMethod() {
		m := server.Method(i).Type // the receiver is the first argument
		var body reflect.Type
		switch {
		case m.NumIn() == 5 && m.In(3) == reflect.TypeFor[int64]() && m.NumOut() == 2 &&
			(m.Out(0) == reflect.TypeFor[workflows.UpdateResult]() || m.Out(0) == reflect.TypeFor[BankView]()):
			body = m.In(4)
		case m.NumIn() == 4 && m.NumOut() == 2 && m.Out(0) == reflect.TypeFor[PaymentBatchResult]():
			body = m.In(3)
		default:
			continue
		}
		if m.In(1) != ctx || m.In(2) != user || body.Kind() != reflect.Struct {
			continue
		}
		steps++
		if !fuzzed[body] {
			t.Errorf("%s takes a %v that FuzzBindSteps does not bind: add it to stepRequests", server.Method(i).Name, body)
		}
	}
	if steps < 20 {
		t.Errorf("found %d step methods, expected every step of the API", steps)
	}
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
