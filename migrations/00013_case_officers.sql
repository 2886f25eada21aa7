-- +goose Up
-- An application's case officer: the commissioning officer (or head of commissioning) who looks
-- after it, assigned and reassigned on the staff page. Who assigned whom, and when, is a line of the
-- application's history (application_events).
ALTER TABLE applications ADD COLUMN case_officer_id bigint REFERENCES users(id);
CREATE INDEX applications_case_officer ON applications (case_officer_id);

-- +goose Down
DROP INDEX applications_case_officer;
ALTER TABLE applications DROP COLUMN case_officer_id;
