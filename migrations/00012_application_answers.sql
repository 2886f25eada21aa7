-- +goose Up
-- The grassroots form's answers beyond the application's own columns (description, need,
-- beneficiaries, outcomes, budget, other funding, safeguarding, declarations), keyed by the
-- question ids of the one definition in package questions.
ALTER TABLE applications ADD COLUMN answers jsonb NOT NULL DEFAULT '{}';

-- The submission itself: who submitted, when, and a frozen copy of the questions as asked and
-- every answer as given, written in the same transaction that claims the draft. It is never
-- updated: whatever happens to the application later, this is what was submitted.
CREATE TABLE submissions (
    application_id    bigint PRIMARY KEY REFERENCES applications(id),
    submitted_by      bigint NOT NULL REFERENCES users(id),
    submitted_by_name text NOT NULL,
    submitted_at      timestamptz NOT NULL,
    snapshot          jsonb NOT NULL
);

-- +goose Down
DROP TABLE submissions;
ALTER TABLE applications DROP COLUMN answers;
