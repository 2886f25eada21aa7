-- +goose Up
-- Recent sign-in attempts per e-mail address (stored as a hash), so that the pages and the API,
-- on every instance, share one throttle. Each attempt deletes every row (of any address) older
-- than the throttle's window, so the table holds one window's attempts at most.
CREATE TABLE sign_in_attempts (
    email_hash   bytea       NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email_hash, attempted_at);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (attempted_at);

-- +goose Down
DROP TABLE sign_in_attempts;
