-- +goose Up
-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a client that lost the answer to a
-- POST sends it again with the same key and gets the first answer back instead of a second effect.
-- A key belongs to the person who sent it and the route it was sent to. A row is claimed by one
-- attempt at a time (claim, locked_until); effect_at is set in the same transaction as the first
-- request's database write, so a crash between that write and storing the answer never lets a
-- retry write again; status and body are the stored answer, replayed until expires_at.
CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    route         text NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    claim         text NOT NULL,
    locked_until  timestamptz NOT NULL,
    effect_at     timestamptz,
    resource_id   bigint,
    status        integer,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, route, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

SELECT grant_application_role();

-- +goose Down
DROP TABLE idempotency_keys;
