-- +goose Up
-- How each member of staff is told. notify_by: 'email' sends each message as it happens; 'daily_digest'
-- keeps staff's messages for one e-mail a day (a Temporal Schedule sends it) with their queue, while the
-- in-app list shows each at once. away_until: a case officer who is away has their escalations and
-- "ready for you" notices copied to the head of commissioning until that date.
ALTER TABLE users
    ADD COLUMN notify_by text NOT NULL DEFAULT 'email' CHECK (notify_by IN ('email', 'daily_digest')),
    ADD COLUMN away_until date;

-- A message for someone who takes a digest waits as 'digest' (never claimed by the sender) until the
-- day's digest gathers it ('digested', naming the digest message that carried it).
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages
    ADD CONSTRAINT messages_status_check CHECK (status IN ('pending', 'sent', 'failed', 'digest', 'digested')),
    ADD COLUMN digest_id bigint REFERENCES messages(id);
CREATE INDEX messages_awaiting_digest ON messages (user_id) WHERE status = 'digest';

-- +goose Down
DROP INDEX messages_awaiting_digest;
ALTER TABLE messages DROP COLUMN digest_id;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('pending', 'sent', 'failed'));
ALTER TABLE users DROP COLUMN away_until, DROP COLUMN notify_by;
