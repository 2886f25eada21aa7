-- +goose Up
-- The administrative audit trail: every act that sets up or changes the office itself (a scheme, a
-- rules version, a round, a budget, a user, a role, a membership) with who did it, in which role,
-- what and why. Applications keep their own trail (application_events); this one is about the office.
-- Rows are only ever inserted.
CREATE TABLE admin_events (
    id           bigserial PRIMARY KEY,
    event_key    text NOT NULL UNIQUE,          -- a retried act is recorded once
    at           timestamptz NOT NULL,
    actor_id     bigint REFERENCES users(id),   -- NULL: Grantflow itself or the command line
    actor_name   text NOT NULL,
    actor_role   text NOT NULL,
    action       text NOT NULL,                 -- e.g. scheme.created, round.closed, user.disabled
    subject_kind text NOT NULL,                 -- scheme, round, budget, user, organisation
    subject_id   bigint NOT NULL,
    subject      text NOT NULL,                 -- what a reader calls the subject: "Grassroots Community Fund"
    what         text NOT NULL,                 -- one sentence: what changed
    why          text NOT NULL DEFAULT '',
    details      jsonb                          -- before and after, where a reader may want them
);
CREATE INDEX admin_events_at ON admin_events (at DESC, id DESC);
CREATE INDEX admin_events_subject ON admin_events (subject_kind, subject_id, at DESC);
CREATE INDEX admin_events_actor ON admin_events (actor_id, at DESC);

-- +goose Down
DROP TABLE admin_events;
