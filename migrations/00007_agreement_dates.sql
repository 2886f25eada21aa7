-- +goose Up
-- A service award's grant agreement starts on a date set at moderation, and its timetable from the
-- quarter holding that date. NULL for awards made before start dates, which ran from 1 April of their
-- first financial year. A recommendation moderated again (its start date passed before the decision)
-- replaces the one before it: version counts the moderations, and names the decision pack's version.
ALTER TABLE awards ADD COLUMN start_date date;
ALTER TABLE recommendations ADD COLUMN start_date date;
ALTER TABLE recommendations ADD COLUMN version int NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE recommendations DROP COLUMN version;
ALTER TABLE recommendations DROP COLUMN start_date;
ALTER TABLE awards DROP COLUMN start_date;
