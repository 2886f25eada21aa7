package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"grantflow/http/openapi"
)

// The contract is the OpenAPI document the server publishes; every API call the tests make is
// checked against it (see system.do), so the document cannot drift from what the server does.
var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

func contractRouter() (routers.Router, error) {
	contract.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openapi.Spec)
		if err != nil {
			contract.err = fmt.Errorf("openapi.yaml does not load: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contract.err = fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
			return
		}
		doc.Servers = nil // the document's one server is "/": match requests by path alone
		contract.router, contract.err = legacy.NewRouter(doc)
	})
	return contract.router, contract.err
}

// contractOptions: authentication is the server's business (a 401 is checked as a response), and
// an answer whose status the operation does not document is a mismatch.
var contractOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// contractProblem checks one API exchange against the document and says what does not match, or
// "" when it does. A request the document refuses may be answered with a client error (the tests
// send bad input on purpose), but never accepted; every answer must be one the operation documents.
// Pages (paths outside /api/) are not in the document and are not checked.
func contractProblem(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) string {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return ""
	}
	router, err := contractRouter()
	if err != nil {
		return err.Error()
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound {
			return "" // an unknown route is rightly not found
		}
		return fmt.Sprintf("no operation in openapi.yaml for %s %s (answered %d): %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
	ctx := context.Background()
	reqCopy := req.Clone(ctx)
	reqCopy.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: reqCopy, PathParams: pathParams, Route: route, Options: contractOptions}
	op := route.Operation.OperationID
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && res.StatusCode < 400 {
		return fmt.Sprintf("%s: the server answered %d to a request the document says is invalid: %v", op, res.StatusCode, reqErr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: contractOptions}
	if err := openapi3filter.ValidateResponse(ctx, out.SetBodyBytes(resBody)); err != nil {
		return fmt.Sprintf("%s: the %d response does not match the document: %v", op, res.StatusCode, err)
	}
	return ""
}

// The check bites: an answer the document does not describe, or a bad request accepted, is named
// with its operation; a bad request refused, and a page, pass.
func TestContractCheckFindsMismatches(t *testing.T) {
	exchange := func(method, path, reqBody string, status int, resBody string) string {
		req, _ := http.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(reqBody))
		req.Header.Set("Content-Type", "application/json")
		res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}
		return contractProblem(req, []byte(reqBody), res, []byte(resBody))
	}
	for _, c := range []struct {
		what, method, path, reqBody string
		status                      int
		resBody, want               string
	}{
		{"a list that is not a list", "GET", "/api/v1/schemes", "", 200, `{"schemes": 3}`, "listSchemes: the 200 response does not match"},
		{"an undocumented status", "GET", "/api/v1/schemes", "", 418, `{}`, "listSchemes: the 418 response does not match"},
		{"an error code not in the document", "POST", "/api/v1/tokens", `{"email": "a@b.example", "password": "x"}`, 401,
			`{"error": {"code": "nope", "message": "no"}}`, "issueToken: the 401 response does not match"},
		{"a bad request accepted", "POST", "/api/v1/tokens", `{"email": 1}`, 201,
			`{"token": "t", "expires_at": "2026-01-01T00:00:00Z"}`, "issueToken: the server answered 201 to a request the document says is invalid"},
		{"a bad request refused", "POST", "/api/v1/tokens", `{"email": 1}`, 422,
			`{"error": {"code": "invalid", "message": "email: must be a string", "fields": {"email": "must be a string"}}}`, ""},
		{"a page", "GET", "/applications", "", 200, `<html>`, ""},
	} {
		got := exchange(c.method, c.path, c.reqBody, c.status, c.resBody)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}
