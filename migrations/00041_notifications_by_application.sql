-- +goose NO TRANSACTION
-- +goose Up
-- An application's page lists its notifications (store.Notifications: by application, oldest
-- first), and had no index to find them by: every read of an application scanned every
-- notification of every application. With ten or so per grant that grew with the office (1,000
-- grants took the grants bench from 20 to 15 transitions a second; a million applications would
-- scan ten million rows a page). Built CONCURRENTLY, so notifications keep being written.
DROP INDEX CONCURRENTLY IF EXISTS notifications_application;
CREATE INDEX CONCURRENTLY notifications_application ON notifications (application_id, created_at, id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS notifications_application;
