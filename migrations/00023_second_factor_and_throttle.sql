-- +goose Up
-- A person's second factor: a TOTP secret (sealed with AES-GCM when SECOND_FACTOR_KEY is set, so a
-- copy of the database alone does not give it away), confirmed by a first code at enrolment. last_step
-- is the last 30-second step whose code was accepted: a code is accepted once, never replayed.
CREATE TABLE second_factors (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       text NOT NULL,
    started_at   timestamptz NOT NULL,
    confirmed_at timestamptz,               -- NULL while enrolment waits for its first code
    last_step    bigint NOT NULL DEFAULT 0
);

-- Single-use recovery codes, kept only as hashes.
CREATE TABLE recovery_codes (
    user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- The half-signed-in state between a right password and the second factor (or enrolment): a random
-- token (hash kept) that opens nothing but the code and enrolment pages, short-lived and with few tries.
CREATE TABLE pending_sign_ins (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    return_to  text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    tries      int NOT NULL DEFAULT 0
);
CREATE INDEX pending_sign_ins_expiry ON pending_sign_ins (expires_at);

-- Sign-in throttling by growing delay, never a lock: failures per client address, per account and
-- per account from one address (keys are hashes), each with the time the next attempt is allowed.
CREATE TABLE sign_in_failures (
    scope    text NOT NULL,                 -- address, account, pair
    key      bytea NOT NULL,
    failures int NOT NULL,
    last_at  timestamptz NOT NULL,
    next_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_at);

-- Fixed-window request counts: the global cap on sign-in attempts a minute, and registration and
-- password-reset requests per client address.
CREATE TABLE request_windows (
    kind         text NOT NULL,
    key          bytea NOT NULL,
    window_start timestamptz NOT NULL,
    count        int NOT NULL,
    PRIMARY KEY (kind, key, window_start)
);
CREATE INDEX request_windows_start ON request_windows (window_start);

-- The lock after five tries (00004) is replaced by the delays above.
DROP TABLE sign_in_attempts;

-- +goose Down
CREATE TABLE sign_in_attempts (
    email_hash   bytea       NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_by_email ON sign_in_attempts (email_hash, attempted_at);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (attempted_at);
DROP TABLE request_windows;
DROP TABLE sign_in_failures;
DROP TABLE pending_sign_ins;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
