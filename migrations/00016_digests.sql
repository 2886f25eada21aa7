-- +goose Up
-- A day's digest is a notification about no one application: it gathers one person's held messages
-- and their queue, keyed digest/<user id>/<day> so a day's digest is written once.
ALTER TABLE notifications ALTER COLUMN application_id DROP NOT NULL;

-- +goose Down
DELETE FROM messages WHERE notification_key IN (SELECT key FROM notifications WHERE application_id IS NULL);
DELETE FROM notifications WHERE application_id IS NULL;
ALTER TABLE notifications ALTER COLUMN application_id SET NOT NULL;
