-- +goose Up
-- The indexes the lists need at a national funder's size (a million applications): each list is
-- read a page at a time after the last row seen (keyset, store/pages.go), so each has a btree
-- index matching its filter and its order, and the search's "part of a name, title or
-- reference" (ILIKE '%text%') has a trigram index per column. pg_trgm is a trusted extension:
-- the owner of the database (grantflow_owner, which runs the migrations) may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Work queues (a stage, or a few, oldest first) and staff's search by stage.
CREATE INDEX applications_status_id ON applications (status, id);
-- An applicant's list: their organisation's applications, newest first.
DROP INDEX applications_organisation;
CREATE INDEX applications_organisation_id ON applications (organisation_id, id);
-- Staff's search by scheme, by round and by case officer, newest first.
DROP INDEX applications_scheme_status;
CREATE INDEX applications_scheme_status_id ON applications (scheme_id, status, id);
CREATE INDEX applications_round_id ON applications (round_id, id);
DROP INDEX applications_case_officer;
CREATE INDEX applications_case_officer_id ON applications (case_officer_id, id);
-- Service awards in delivery and reports flagged overdue, which the work queues read whole.
CREATE INDEX applications_service_status ON applications (status, id) WHERE service IS NOT NULL;
CREATE INDEX applications_report_overdue ON applications (status, id) WHERE report_overdue;

-- Search by part of the title, the organisation's name or the award reference.
CREATE INDEX applications_title_trgm ON applications USING gin (title gin_trgm_ops);
CREATE INDEX organisations_name_trgm ON organisations USING gin (name gin_trgm_ops);
CREATE INDEX awards_reference_trgm ON awards USING gin (reference gin_trgm_ops);

-- Finance's notices, newest first, are read by their primary key; a person's notifications by
-- (user_id, created_at DESC) as messages_user has it, with the id to break ties.
DROP INDEX messages_user;
CREATE INDEX messages_user ON messages (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_user;
CREATE INDEX messages_user ON messages (user_id, created_at DESC) WHERE user_id IS NOT NULL;
DROP INDEX awards_reference_trgm;
DROP INDEX organisations_name_trgm;
DROP INDEX applications_title_trgm;
DROP INDEX applications_report_overdue;
DROP INDEX applications_service_status;
DROP INDEX applications_case_officer_id;
CREATE INDEX applications_case_officer ON applications (case_officer_id);
DROP INDEX applications_round_id;
DROP INDEX applications_scheme_status_id;
CREATE INDEX applications_scheme_status ON applications (scheme_id, status);
DROP INDEX applications_organisation_id;
CREATE INDEX applications_organisation ON applications (organisation_id);
DROP INDEX applications_status_id;

