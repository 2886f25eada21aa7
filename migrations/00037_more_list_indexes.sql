-- +goose NO TRANSACTION
-- +goose Up
-- The indexes of the lists made keyset-paged after 00035 (store/pages.go): the grants register,
-- oldest decision first, and the staff list, by name. Built CONCURRENTLY, so an office's awards
-- and accounts stay writable while they build (hence no transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS awards_decided_at_reference ON awards (decided_at, reference);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_staff_by_name ON users (lower(name), id) WHERE role <> 'applicant';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS users_staff_by_name;
DROP INDEX CONCURRENTLY IF EXISTS awards_decided_at_reference;
