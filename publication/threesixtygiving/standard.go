package threesixtygiving

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"strings"
)

// The 360Giving Data Standard 1.4.3 (CC BY 4.0; see standard/NOTICE.md), embedded so that
// validation needs nothing outside the binary.
//
//go:embed standard/*.json standard/*.csv standard/NOTICE.md
var standardFS embed.FS

// Version is the release of the standard the files follow and are checked against.
const Version = "1.4.3"

// packageVersion is the package's "version" field: the schema's major.minor.
const packageVersion = "1.4"

// The addresses the schemas go by. The package schema refers to the grant schema by the 1.4.2
// address; the grant schema's own $id is the 1.4.3 one. Both resolve to the embedded copy.
const (
	packageSchemaURL    = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-package-schema.json"
	grantSchemaURL      = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json"
	grantSchemaURL142   = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
	packageSchemaFile   = "standard/360-giving-package-schema.json"
	grantSchemaFile     = "standard/360-giving-schema.json"
	codelistDirectory   = "standard/"
	statisticalEntityAt = "http://statistics.data.gov.uk/id/statistical-entity/"
)

// Codelist is one of the standard's codelists: its codes, as published.
type Codelist map[string]bool

// LoadCodelist reads an embedded codelist by its file name ("currency.csv", "geoCodeType.csv").
func LoadCodelist(name string) (Codelist, error) {
	rows, err := readCSV(name)
	if err != nil {
		return nil, err
	}
	list := Codelist{}
	for _, r := range rows[1:] {
		list[r[0]] = true
	}
	return list, nil
}

func readCSV(name string) ([][]string, error) {
	raw, err := standardFS.ReadFile(codelistDirectory + name)
	if err != nil {
		return nil, fmt.Errorf("360Giving codelist %s: %w", name, err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "Code" {
		return nil, fmt.Errorf("360Giving codelist %s: not a codelist (%v)", name, err)
	}
	return rows, nil
}

// geoCodeTypes gives each ONS statistical entity (the first three characters of a GSS code: E05,
// E06, S12 ...) its geoCodeType code, read from the codelist's documentation column, so a code
// type is always one the codelist has: E05 → WD, E06 → UA, E07 → NMD, E08 → MD, E09 → LONB.
var geoCodeTypes = mustGeoCodeTypes()

func mustGeoCodeTypes() map[string]string {
	rows, err := readCSV("geoCodeType.csv")
	if err != nil {
		panic(err) // embedded: a build defect
	}
	col := -1
	for i, h := range rows[0] {
		if h == "Documentation (URL)" {
			col = i
		}
	}
	if col < 0 {
		panic("360Giving codelist geoCodeType.csv has no Documentation (URL) column")
	}
	types := map[string]string{}
	for _, r := range rows[1:] {
		if entity, ok := strings.CutPrefix(r[col], statisticalEntityAt); ok {
			types[entity] = r[0]
		}
	}
	return types
}

// GeoCodeType is the geoCodeType of an ONS GSS code ("E06000016" → "UA"), or "" when the
// codelist has no type for its entity.
func GeoCodeType(gss string) string {
	if len(gss) < 3 {
		return ""
	}
	return geoCodeTypes[gss[:3]]
}
