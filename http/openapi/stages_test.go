package openapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestStageEnumHasEveryStage: every Stage the workflows declare (and so the API may return as an
// application's status or an update's stage) is in the document's Stage enum.
func TestStageEnumHasEveryStage(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Stage struct {
					Enum []string `yaml:"enum"`
				} `yaml:"Stage"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(Spec, &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas.Stage.Enum
	file, err := parser.ParseFile(token.NewFileSet(), "../../workflows/contract.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || spec.Type == nil || len(spec.Values) != 1 {
			return true
		}
		if ident, ok := spec.Type.(*ast.Ident); ok && ident.Name == "Stage" {
			if lit, ok := spec.Values[0].(*ast.BasicLit); ok {
				v, _ := strconv.Unquote(lit.Value)
				stages = append(stages, v)
			}
		}
		return true
	})
	if len(stages) < 20 {
		t.Fatalf("found only %d stages in workflows/contract.go: %v", len(stages), stages)
	}
	for _, s := range stages {
		if !slices.Contains(enum, s) {
			t.Errorf("stage %q is missing from the Stage enum %v", s, enum)
		}
	}
}
