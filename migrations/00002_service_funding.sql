-- +goose Up
-- Commissioned services: multi-year awards paid in quarterly tranches, gated by monitoring returns.

-- What a service application adds to the common fields (description, wards, amounts per year,
-- outcomes with indicators and quarterly targets, safeguarding and governance), as submitted.
ALTER TABLE applications ADD COLUMN service jsonb;

CREATE TABLE panel_members (
    application_id bigint NOT NULL REFERENCES applications(id),
    assessor_id    bigint NOT NULL REFERENCES users(id),
    assigned_by    bigint NOT NULL REFERENCES users(id),
    assigned_at    timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    removed_at     timestamptz,
    removed_reason text NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, assessor_id)
);

CREATE TABLE recommendations (
    application_id       bigint PRIMARY KEY REFERENCES applications(id),
    recommended_by       bigint NOT NULL REFERENCES users(id),
    years                jsonb NOT NULL,
    conditions           jsonb NOT NULL,
    conditions_precedent jsonb NOT NULL,
    reasons              text NOT NULL,
    document_id          bigint REFERENCES documents(id),
    created_at           timestamptz NOT NULL
);

-- Numbered, published decision records (PCC/2026/017): one per decision above the officer band.
CREATE TABLE decision_records (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    award_version  int NOT NULL,
    year           int NOT NULL,
    seq            int NOT NULL,
    number         text NOT NULL UNIQUE,
    decided_by     bigint NOT NULL REFERENCES users(id),
    decided_role   text NOT NULL,
    document_id    bigint REFERENCES documents(id),
    created_at     timestamptz NOT NULL,
    UNIQUE (application_id, award_version),
    UNIQUE (year, seq)
);

ALTER TABLE awards
    ADD COLUMN version int NOT NULL DEFAULT 1,
    ADD COLUMN conditions_precedent jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN conditions_met_at timestamptz,
    ADD COLUMN conditions_met_by bigint REFERENCES users(id),
    ADD COLUMN end_date date,
    ADD COLUMN terminated_at timestamptz,
    ADD COLUMN termination_reason text NOT NULL DEFAULT '',
    ADD COLUMN spent_pence bigint,
    ADD COLUMN underspend_pence bigint,
    ADD COLUMN closed_at timestamptz;

-- The amount awarded in each financial year (the current version of the award).
CREATE TABLE award_years (
    award_id       bigint NOT NULL REFERENCES awards(id),
    financial_year int NOT NULL,
    amount_pence   bigint NOT NULL CHECK (amount_pence >= 0),
    PRIMARY KEY (award_id, financial_year)
);

-- Quarterly tranches: scheduled → held/released → paid, or cancelled by a variation or termination.
CREATE TABLE tranches (
    award_id       bigint NOT NULL REFERENCES awards(id),
    no             int NOT NULL,
    financial_year int NOT NULL,
    quarter        int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    due_on         date NOT NULL,
    amount_pence   bigint NOT NULL CHECK (amount_pence >= 0),
    status         text NOT NULL DEFAULT 'scheduled',
    held_reason    text NOT NULL DEFAULT '',
    released_at    timestamptz,
    notice_id      bigint REFERENCES finance_notices(id),
    PRIMARY KEY (award_id, no)
);

CREATE TABLE monitoring_returns (
    application_id bigint NOT NULL REFERENCES applications(id),
    financial_year int NOT NULL,
    quarter        int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    version        int NOT NULL,
    content        jsonb NOT NULL,
    submitted_by   bigint NOT NULL REFERENCES users(id),
    submitted_at   timestamptz NOT NULL,
    review_outcome text,
    rag            text,
    review_comment text,
    reviewed_by    bigint REFERENCES users(id),
    reviewed_at    timestamptz,
    PRIMARY KEY (application_id, financial_year, quarter, version)
);

CREATE TABLE variations (
    application_id bigint NOT NULL REFERENCES applications(id),
    award_version  int NOT NULL,
    summary        text NOT NULL,
    years          jsonb NOT NULL,
    end_date       date,
    conditions     jsonb NOT NULL,
    decided_by     bigint NOT NULL REFERENCES users(id),
    decided_role   text NOT NULL,
    delegation_band text NOT NULL,
    rules_version  int NOT NULL,
    decided_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, award_version)
);

-- finance_notices were one per award and kind; tranches add one payment notice per tranche.
ALTER TABLE finance_notices ADD COLUMN seq int NOT NULL DEFAULT 0;
ALTER TABLE finance_notices DROP CONSTRAINT finance_notices_award_id_kind_key;
ALTER TABLE finance_notices ADD CONSTRAINT finance_notices_award_kind_seq_key UNIQUE (award_id, kind, seq);

-- +goose Down
ALTER TABLE finance_notices DROP CONSTRAINT finance_notices_award_kind_seq_key;
ALTER TABLE finance_notices ADD CONSTRAINT finance_notices_award_id_kind_key UNIQUE (award_id, kind);
ALTER TABLE finance_notices DROP COLUMN seq;
DROP TABLE variations, monitoring_returns, tranches, award_years, decision_records, recommendations, panel_members;
ALTER TABLE awards DROP COLUMN version, DROP COLUMN conditions_precedent, DROP COLUMN conditions_met_at,
    DROP COLUMN conditions_met_by, DROP COLUMN end_date, DROP COLUMN terminated_at, DROP COLUMN termination_reason,
    DROP COLUMN spent_pence, DROP COLUMN underspend_pence, DROP COLUMN closed_at;
ALTER TABLE applications DROP COLUMN service;
