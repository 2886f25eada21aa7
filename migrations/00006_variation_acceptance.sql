-- +goose Up
-- A varied agreement is accepted afresh by the provider: by when (NULL for variations decided before
-- this, which stood at once), and when and by whom it was accepted.
ALTER TABLE variations ADD COLUMN accept_by timestamptz;
ALTER TABLE variations ADD COLUMN accepted_at timestamptz;
ALTER TABLE variations ADD COLUMN accepted_by bigint REFERENCES users(id);

-- +goose Down
ALTER TABLE variations DROP COLUMN accepted_by;
ALTER TABLE variations DROP COLUMN accepted_at;
ALTER TABLE variations DROP COLUMN accept_by;
