-- +goose Up
-- When the case officer took the application on (assigned, or the first officer to act), so a case
-- officer assigned today is not taken for one who has let it sit: the heads of commissioning are
-- copied on escalations only when the case officer has neither acted nor been assigned within the
-- scheme's escalation period.
ALTER TABLE applications ADD COLUMN case_officer_since timestamptz;
UPDATE applications a SET case_officer_since = (SELECT max(e.at) FROM application_events e
    WHERE e.application_id = a.id AND (e.what LIKE 'Case officer%'))
WHERE a.case_officer_id IS NOT NULL;

-- +goose Down
ALTER TABLE applications DROP COLUMN case_officer_since;
