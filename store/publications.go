package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// RegisterPublication is one frozen publication of a month of the grants register (migration
// 00027): its number, the SHA-256 of each file and, from version 2, what changed. The files'
// bytes are read on their own (RegisterPublicationFile); rows are never updated or deleted.
type RegisterPublication struct {
	ID          int64           `db:"id"`
	Month       time.Time       `db:"month"` // the first day of the month published
	Version     int             `db:"version"`
	Number      string          `db:"number"`
	Awards      int             `db:"awards"`
	Total       money.Pence     `db:"total_pence"`
	JSONSHA256  string          `db:"json_sha256"`
	CSVSHA256   string          `db:"csv_sha256"`
	Changes     json.RawMessage `db:"changes"` // publication.Change list
	PublishedAt time.Time       `db:"published_at"`
}

const publicationColumns = `id, month, version, number, awards, total_pence, json_sha256, csv_sha256, changes, published_at`

// InsertRegisterPublication records a publication with its files. A version already published
// (by a retry, or a second run at once) is left as it was and reported as not inserted.
func (s *Store) InsertRegisterPublication(ctx context.Context, p RegisterPublication, jsonBytes, csvBytes []byte) (bool, error) {
	changes := p.Changes
	if len(changes) == 0 {
		changes = json.RawMessage(`[]`)
	}
	res, err := s.DB.ExecContext(ctx, `INSERT INTO register_publications
			(month, version, number, awards, total_pence, json_bytes, json_sha256, csv_bytes, csv_sha256, changes, published_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
		monthDate(p.Month), p.Version, p.Number, p.Awards, p.Total, jsonBytes, p.JSONSHA256, csvBytes, p.CSVSHA256, []byte(changes), p.PublishedAt)
	if err != nil {
		return false, fmt.Errorf("record register publication %s: %w", p.Number, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record register publication %s: %w", p.Number, err)
	}
	return n == 1, nil
}

// monthDate is the month's first day as a date (a date column takes a date, not an instant).
func monthDate(t time.Time) string {
	m := t.In(scheme.London)
	return time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// LatestRegisterPublication is the month's latest version with its JSON file, or ErrNotFound.
func (s *Store) LatestRegisterPublication(ctx context.Context, month time.Time) (RegisterPublication, []byte, error) {
	var row struct {
		RegisterPublication
		JSON []byte `db:"json_bytes"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT `+publicationColumns+`, json_bytes FROM register_publications
		WHERE month = $1 ORDER BY version DESC LIMIT 1`, monthDate(month))
	if errors.Is(err, sql.ErrNoRows) {
		return RegisterPublication{}, nil, ErrNotFound
	}
	if err != nil {
		return RegisterPublication{}, nil, fmt.Errorf("read the latest publication of %s: %w", monthDate(month), err)
	}
	return row.RegisterPublication, row.JSON, nil
}

// RegisterPublications lists every publication, newest month first and, within a month, newest
// version first.
func (s *Store) RegisterPublications(ctx context.Context) ([]RegisterPublication, error) {
	var out []RegisterPublication
	if err := s.DB.SelectContext(ctx, &out, `SELECT `+publicationColumns+` FROM register_publications ORDER BY month DESC, version DESC`); err != nil {
		return nil, fmt.Errorf("list register publications: %w", err)
	}
	return out, nil
}

// RegisterPublicationFile is a publication's frozen file ("csv" or "json") by its number.
func (s *Store) RegisterPublicationFile(ctx context.Context, number, format string) (RegisterPublication, []byte, error) {
	col := map[string]string{"csv": "csv_bytes", "json": "json_bytes"}[format]
	if col == "" {
		return RegisterPublication{}, nil, ErrNotFound
	}
	var row struct {
		RegisterPublication
		File []byte `db:"file"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT `+publicationColumns+`, `+col+` AS file FROM register_publications WHERE number = $1`, number)
	if errors.Is(err, sql.ErrNoRows) {
		return RegisterPublication{}, nil, ErrNotFound
	}
	if err != nil {
		return RegisterPublication{}, nil, fmt.Errorf("read register publication %s: %w", number, err)
	}
	return row.RegisterPublication, row.File, nil
}

// FirstAwardMonth is the month (in London) of the earliest award ever decided, lapsed ones
// included (a month published with an offer that lapsed since still needs its correction).
func (s *Store) FirstAwardMonth(ctx context.Context) (time.Time, bool, error) {
	var first sql.NullTime
	if err := s.DB.GetContext(ctx, &first, `SELECT min(decided_at) FROM awards`); err != nil {
		return time.Time{}, false, fmt.Errorf("find the first award: %w", err)
	}
	if !first.Valid {
		return time.Time{}, false, nil
	}
	m := first.Time.In(scheme.London)
	return time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, scheme.London), true, nil
}
