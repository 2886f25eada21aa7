-- +goose Up
-- The grants register's monthly publications: each month's register frozen on its first working
-- day as numbered files that never change. A correction after publication (a variation, an early
-- ending, an offer that lapsed) is a new version of that month saying what changed; the earlier
-- versions stay as they were published, so rows are only ever inserted.
CREATE TABLE register_publications (
    id           bigserial PRIMARY KEY,
    month        date NOT NULL CHECK (extract(day FROM month) = 1), -- the month published, its first day
    version      int NOT NULL CHECK (version >= 1),
    number       text NOT NULL UNIQUE,                             -- e.g. GR-2026-11 v2
    awards       int NOT NULL,
    total_pence  bigint NOT NULL,
    json_bytes   bytea NOT NULL,
    json_sha256  text NOT NULL,
    csv_bytes    bytea NOT NULL,
    csv_sha256   text NOT NULL,
    changes      jsonb NOT NULL DEFAULT '[]', -- what changed since the previous version, by reference
    published_at timestamptz NOT NULL,
    UNIQUE (month, version)
);

-- +goose StatementBegin
CREATE FUNCTION register_publications_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'register publications are never changed or removed: publish a new version instead';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER register_publications_frozen BEFORE UPDATE OR DELETE ON register_publications
    FOR EACH ROW EXECUTE FUNCTION register_publications_frozen();

-- +goose Down
DROP TABLE register_publications;
DROP FUNCTION register_publications_frozen();
