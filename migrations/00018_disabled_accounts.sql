-- +goose Up
-- An account an admin has disabled (a leaver): it cannot sign in, and disabling it ends every session
-- and API token at once (they are deleted in the same transaction). Re-enabling clears it.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN disabled_at;
