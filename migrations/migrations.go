// Package migrations embeds the numbered SQL files that goose applies on start.
package migrations

import "embed"

// FS holds every migration, applied in the order of their numbers.
//
//go:embed *.sql
var FS embed.FS
