-- +goose Up
-- A scheme's application form as data: sections of questions (package questions), one row per
-- version. round_id NULL is the scheme's own form; a round may have its own form, which its
-- applications answer instead. The newest version is the form drafts answer; a submission keeps
-- the form as asked in its frozen copy (submissions.snapshot), so later versions change nothing
-- submitted. Rows are only ever inserted.
CREATE TABLE scheme_forms (
    id          bigserial PRIMARY KEY,
    scheme_id   bigint NOT NULL REFERENCES schemes(id),
    round_id    bigint REFERENCES rounds(id),
    version     integer NOT NULL,             -- numbered per scheme, across its rounds' forms
    definition  jsonb NOT NULL,               -- questions.Form, options_from unresolved
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    UNIQUE (scheme_id, version)
);
CREATE INDEX scheme_forms_current ON scheme_forms (scheme_id, round_id, version DESC);

-- +goose Down
DROP TABLE scheme_forms;
