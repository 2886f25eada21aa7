-- +goose Up
-- The Police and Crime Panel's quarterly performance report, kept as a numbered document: each
-- version of a period's report is a row of its own, only ever inserted. A run whose figures are
-- those of the period's latest version makes nothing new; different figures (late returns) make
-- the next version. The PDF and the CSV of every figure are kept with their SHA-256.
CREATE TABLE panel_reports (
    id             bigserial PRIMARY KEY,
    number         text NOT NULL,                    -- PANEL/2026-27/Q3
    financial_year int NOT NULL,
    quarter        int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    version        int NOT NULL CHECK (version >= 1),
    figures_sha256 text NOT NULL,                    -- of the figures as JSON: what "the same figures" means
    pdf            bytea NOT NULL,
    pdf_sha256     text NOT NULL,
    csv            bytea NOT NULL,
    csv_sha256     text NOT NULL,
    trigger        text NOT NULL CHECK (trigger IN ('schedule', 'request')),
    requested_by   text NOT NULL DEFAULT '',         -- the officer who asked for it (trigger 'request')
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (financial_year, quarter, version),
    UNIQUE (number, version)
);

-- +goose Down
DROP TABLE panel_reports;
