-- +goose Up
-- The scheme's rules as they stood when the application was submitted: what its workflow applies
-- (criteria, delegation bands, deadlines) even if the scheme's rules change later, so the pages
-- show staff the same bands and criteria. NULL for drafts and for applications submitted before.
ALTER TABLE applications ADD COLUMN submitted_rules jsonb;

-- +goose Down
ALTER TABLE applications DROP COLUMN submitted_rules;
