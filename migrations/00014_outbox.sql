-- +goose Up
-- The outbox: one message per recipient of a notification, written in the same transaction as the
-- notification, so a fact and the mail telling people about it are recorded together or not at all.
-- (notification_key, address) is unique, so a retried activity writes nothing twice. The sender
-- claims pending rows with a lease (claimed_until, claim_token), sends them over SMTP with a
-- Message-ID derived from the key, and records sent or failed with the server's answer. The same
-- rows are each person's in-app notifications (user_id; read_at).
CREATE TABLE messages (
    id               bigserial PRIMARY KEY,
    notification_key text NOT NULL REFERENCES notifications(key),
    user_id          bigint REFERENCES users(id), -- NULL for a mailbox that is nobody's account
    address          text NOT NULL,
    subject          text NOT NULL,
    body_text        text NOT NULL,
    body_html        text NOT NULL,
    link             text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    read_at          timestamptz,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_until    timestamptz,
    claim_token      uuid,
    sent_at          timestamptz,
    server_response  text NOT NULL DEFAULT '',
    UNIQUE (notification_key, address)
);
CREATE INDEX messages_pending ON messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX messages_user ON messages (user_id, created_at DESC) WHERE user_id IS NOT NULL;

-- +goose Down
DROP TABLE messages;
