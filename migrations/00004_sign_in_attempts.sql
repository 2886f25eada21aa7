-- +goose Up
-- Recent sign-in attempts per e-mail address (stored as a hash), so that the pages and the API,
-- on every instance, share one throttle. Rows older than the throttle's window are deleted as
-- attempts come in.
CREATE TABLE sign_in_attempts (
    email_hash   bytea       NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email_hash, attempted_at);

-- +goose Down
DROP TABLE sign_in_attempts;
