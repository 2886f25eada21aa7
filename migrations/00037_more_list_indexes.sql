-- +goose NO TRANSACTION
-- +goose Up
-- The indexes of the lists made keyset-paged after 00035 (store/pages.go): the grants register,
-- oldest decision first, and the staff list, by name. Built CONCURRENTLY, so an office's awards
-- and accounts stay writable while they build (hence no transaction).
-- A build cut short leaves an invalid index that IF NOT EXISTS would keep: each is dropped and built again.
DROP INDEX CONCURRENTLY IF EXISTS awards_decided_at_reference;
CREATE INDEX CONCURRENTLY awards_decided_at_reference ON awards (decided_at, reference);
DROP INDEX CONCURRENTLY IF EXISTS users_staff_by_name;
CREATE INDEX CONCURRENTLY users_staff_by_name ON users (lower(name), id) WHERE role <> 'applicant';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS users_staff_by_name;
DROP INDEX CONCURRENTLY IF EXISTS awards_decided_at_reference;
