// Package schemes holds the example scheme definition files (the two demo schemes), embedded so
// the demo seed loads them through the same import as `grantflow schemes import`.
package schemes

import "embed"

// Files are the example definitions, by file name: grassroots.yaml, commissioned-services.yaml.
//
//go:embed *.yaml
var Files embed.FS

// Grassroots and Service name the demo schemes' files.
const (
	Grassroots = "grassroots.yaml"
	Service    = "commissioned-services.yaml"
)
