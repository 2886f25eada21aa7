-- +goose Up
-- Rounds run by people: guidance for applicants, an optional cap on what awards from the round may
-- commit (whole-life, every financial year together), an early close with its reason, and the lock
-- that ends its drafts once the scheme's grace period after closing has passed. The round's
-- workflow (round-<id>) keeps its times; these columns are what pages and the lock read.
ALTER TABLE rounds
    ADD COLUMN guidance       text NOT NULL DEFAULT '',
    ADD COLUMN budget_pence   bigint CHECK (budget_pence IS NULL OR budget_pence >= 0),
    ADD COLUMN closed_early   boolean NOT NULL DEFAULT false,
    ADD COLUMN close_reason   text NOT NULL DEFAULT '',
    ADD COLUMN drafts_locked_at timestamptz,
    ADD COLUMN workflow_id    text,
    ADD COLUMN created_at     timestamptz NOT NULL DEFAULT now();

-- A draft locked when its round's grace period ended: it can be neither changed nor submitted.
ALTER TABLE applications ADD COLUMN draft_locked_at timestamptz;

-- People who asked to be told when a scheme's rounds open and close.
CREATE TABLE round_subscriptions (
    user_id    bigint NOT NULL REFERENCES users(id),
    scheme_id  bigint NOT NULL REFERENCES schemes(id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, scheme_id)
);

-- Every change to a scheme's budget for a financial year: before (NULL when first set), after, who,
-- when and why. Rows are only ever inserted.
CREATE TABLE budget_changes (
    id             bigserial PRIMARY KEY,
    scheme_id      bigint NOT NULL REFERENCES schemes(id),
    financial_year int NOT NULL,
    before_pence   bigint,
    after_pence    bigint NOT NULL,
    committed_pence bigint NOT NULL,
    at             timestamptz NOT NULL,
    actor_id       bigint REFERENCES users(id),
    actor_name     text NOT NULL,
    actor_role     text NOT NULL,
    reason         text NOT NULL
);
CREATE INDEX budget_changes_scheme ON budget_changes (scheme_id, financial_year, at DESC, id DESC);

-- +goose Down
DROP TABLE budget_changes;
DROP TABLE round_subscriptions;
ALTER TABLE applications DROP COLUMN draft_locked_at;
ALTER TABLE rounds DROP COLUMN guidance, DROP COLUMN budget_pence, DROP COLUMN closed_early, DROP COLUMN close_reason,
    DROP COLUMN drafts_locked_at, DROP COLUMN workflow_id, DROP COLUMN created_at;
