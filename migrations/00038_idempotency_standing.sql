-- +goose Up
-- A kept answer is replayed only to the person standing as they did when it was made: standing is
-- a hash of their role, decision band and organisations as they sent the key's first request. A
-- person whose role or membership changed since is refused (403), not given back what the old one
-- let them do or see. Keys kept from before this have none, and are not replayed.
ALTER TABLE idempotency_keys ADD COLUMN standing bytea;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN standing;
