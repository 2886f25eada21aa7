// Package openapi serves the OpenAPI 3.0 description of Grantflow's JSON API (/api/v1).
// The document is written by hand; openapi_test.go checks it against the routes apiv1 mounts,
// so a route added without documentation fails the tests.
package openapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Spec is the OpenAPI 3.0.3 document, in YAML.
//
//go:embed openapi.yaml
var Spec []byte

// ContentType is what the document is served as.
const ContentType = "application/yaml"

// Register serves the document at GET /openapi.yaml on r.
func Register(r gin.IRoutes) {
	r.GET("/openapi.yaml", serve)
}

func serve(c *gin.Context) {
	c.Data(http.StatusOK, ContentType, Spec)
}
