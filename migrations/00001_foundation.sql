-- +goose Up
CREATE TABLE organisations (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    org_type       text NOT NULL,
    charity_number text NOT NULL DEFAULT '',
    company_number text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    postcode       text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Membership of an organisation: applicants belong to theirs; a staff member who is also a trustee or
-- member of a group is recorded here too, which bars them from assessing or deciding its applications.
CREATE TABLE organisation_members (
    organisation_id bigint NOT NULL REFERENCES organisations(id),
    user_id         bigint NOT NULL REFERENCES users(id),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user ON organisation_members (user_id);

CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schemes (
    id            bigserial PRIMARY KEY,
    slug          text NOT NULL UNIQUE,
    name          text NOT NULL,
    kind          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    rules         jsonb NOT NULL,
    rules_version int NOT NULL DEFAULT 1
);

CREATE TABLE rounds (
    id        bigserial PRIMARY KEY,
    scheme_id bigint NOT NULL REFERENCES schemes(id),
    name      text NOT NULL,
    opens_at  timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    CHECK (closes_at > opens_at)
);

-- One row per scheme and financial year; the CHECK is the last line of defence against over-commitment.
CREATE TABLE scheme_budgets (
    scheme_id       bigint NOT NULL REFERENCES schemes(id),
    financial_year  int NOT NULL,
    budget_pence    bigint NOT NULL CHECK (budget_pence >= 0),
    committed_pence bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (scheme_id, financial_year),
    CHECK (committed_pence >= 0 AND committed_pence <= budget_pence)
);

CREATE TABLE applications (
    id                     bigserial PRIMARY KEY,
    organisation_id        bigint NOT NULL REFERENCES organisations(id),
    scheme_id              bigint NOT NULL REFERENCES schemes(id),
    round_id               bigint NOT NULL REFERENCES rounds(id),
    created_by             bigint NOT NULL REFERENCES users(id),
    title                  text NOT NULL DEFAULT '',
    purpose                text NOT NULL DEFAULT '',
    amount_requested_pence bigint NOT NULL DEFAULT 0,
    project_start          date,
    project_end            date,
    areas                  text[] NOT NULL DEFAULT '{}',
    priorities             text[] NOT NULL DEFAULT '{}',
    status                 text NOT NULL DEFAULT 'draft',
    report_overdue         boolean NOT NULL DEFAULT false,
    weighted_score         numeric(5,2),
    workflow_id            text UNIQUE,
    submitted_at           timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_scheme_status ON applications (scheme_id, status);
CREATE INDEX applications_organisation ON applications (organisation_id);

-- Append-only audit trail: who, in what role, did what, when and why. event_key makes a retried
-- activity write its event once.
CREATE TABLE application_events (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    event_key      text NOT NULL UNIQUE,
    at             timestamptz NOT NULL,
    actor_user_id  bigint,
    actor_name     text NOT NULL,
    actor_role     text NOT NULL,
    what           text NOT NULL,
    why            text NOT NULL DEFAULT '',
    status         text NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id, at, id);

CREATE TABLE conflicts (
    application_id bigint NOT NULL REFERENCES applications(id),
    user_id        bigint NOT NULL REFERENCES users(id),
    has_conflict   boolean NOT NULL,
    details        text NOT NULL DEFAULT '',
    declared_at    timestamptz NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

CREATE TABLE assessments (
    application_id bigint NOT NULL REFERENCES applications(id),
    round          int NOT NULL,
    assessor_id    bigint NOT NULL REFERENCES users(id),
    scores         jsonb NOT NULL,
    weighted       numeric(5,2) NOT NULL,
    fundable       boolean NOT NULL,
    recommendation text NOT NULL,
    comment        text NOT NULL DEFAULT '',
    submitted_at   timestamptz NOT NULL,
    PRIMARY KEY (application_id, round, assessor_id)
);

CREATE TABLE information_requests (
    application_id bigint NOT NULL REFERENCES applications(id),
    seq            int NOT NULL,
    question       text NOT NULL,
    deadline       timestamptz NOT NULL,
    asked_by       bigint NOT NULL REFERENCES users(id),
    asked_at       timestamptz NOT NULL,
    answer         text,
    answered_at    timestamptz,
    lapsed         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE budget_commitments (
    application_id bigint NOT NULL REFERENCES applications(id),
    scheme_id      bigint NOT NULL,
    financial_year int NOT NULL,
    amount_pence   bigint NOT NULL CHECK (amount_pence > 0),
    committed_at   timestamptz NOT NULL,
    released_at    timestamptz,
    PRIMARY KEY (application_id, financial_year),
    FOREIGN KEY (scheme_id, financial_year) REFERENCES scheme_budgets(scheme_id, financial_year)
);

CREATE TABLE awards (
    id                 bigserial PRIMARY KEY,
    application_id     bigint NOT NULL UNIQUE REFERENCES applications(id),
    reference          text NOT NULL UNIQUE,
    amount_pence       bigint NOT NULL CHECK (amount_pence > 0),
    purpose            text NOT NULL,
    conditions         jsonb NOT NULL DEFAULT '[]',
    reasons            text NOT NULL,
    approved_by        bigint NOT NULL REFERENCES users(id),
    approved_role      text NOT NULL,
    delegation_band    text NOT NULL,
    rules_version      int NOT NULL,
    decided_at         timestamptz NOT NULL,
    accept_by          timestamptz NOT NULL,
    accepted_at        timestamptz,
    accepted_by        bigint REFERENCES users(id),
    status             text NOT NULL DEFAULT 'offered'
);

CREATE TABLE declines (
    application_id bigint PRIMARY KEY REFERENCES applications(id),
    reasons        jsonb NOT NULL,
    decided_by     bigint NOT NULL REFERENCES users(id),
    decided_at     timestamptz NOT NULL
);

-- Generated letters and notices. Bytes live here; workflows only ever see ids and hashes.
CREATE TABLE documents (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    kind           text NOT NULL,
    version        int NOT NULL DEFAULT 1,
    filename       text NOT NULL,
    content_type   text NOT NULL DEFAULT 'application/pdf',
    sha256         text NOT NULL,
    content        bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, kind, version)
);

CREATE TABLE finance_notices (
    id           bigserial PRIMARY KEY,
    award_id     bigint NOT NULL REFERENCES awards(id),
    kind         text NOT NULL,
    reference    text NOT NULL UNIQUE,
    payee        text NOT NULL,
    amount_pence bigint NOT NULL,
    schedule     jsonb NOT NULL,
    cost_centre  text NOT NULL,
    document_id  bigint NOT NULL REFERENCES documents(id),
    created_at   timestamptz NOT NULL,
    UNIQUE (award_id, kind)
);

CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    award_id     bigint NOT NULL REFERENCES awards(id),
    tranche      int NOT NULL,
    amount_pence bigint NOT NULL CHECK (amount_pence > 0),
    paid_on      date NOT NULL,
    reference    text NOT NULL,
    recorded_by  bigint NOT NULL REFERENCES users(id),
    recorded_at  timestamptz NOT NULL,
    UNIQUE (award_id, tranche)
);

CREATE TABLE grant_reports (
    application_id  bigint NOT NULL REFERENCES applications(id),
    version         int NOT NULL,
    summary         text NOT NULL,
    outcomes        text NOT NULL,
    spent_pence     bigint NOT NULL,
    submitted_by    bigint NOT NULL REFERENCES users(id),
    submitted_at    timestamptz NOT NULL,
    review_outcome  text,
    review_comment  text,
    reviewed_by     bigint REFERENCES users(id),
    reviewed_at     timestamptz,
    PRIMARY KEY (application_id, version)
);

-- Reminders and escalations, one per key, for the people who must act.
CREATE TABLE notifications (
    id             bigserial PRIMARY KEY,
    key            text NOT NULL UNIQUE,
    application_id bigint NOT NULL REFERENCES applications(id),
    audience       text NOT NULL,
    kind           text NOT NULL,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE notifications, grant_reports, payments, finance_notices, documents, declines, awards,
    budget_commitments, information_requests, assessments, conflicts, application_events, applications,
    scheme_budgets, rounds, schemes, api_tokens, organisation_members, users, organisations;
