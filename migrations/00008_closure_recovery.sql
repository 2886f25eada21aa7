-- +goose Up
-- Closure reconciles paid against spent: an underspend is owed back. Finance receives a recovery
-- notice, the provider a letter saying how and by when to repay; repayments are recorded as they
-- arrive (part repayments allowed), and the debt may be written off within delegated authority.
CREATE TABLE recoveries (
    award_id         bigint PRIMARY KEY REFERENCES awards(id),
    application_id   bigint NOT NULL UNIQUE REFERENCES applications(id),
    reference        text NOT NULL UNIQUE,
    amount_pence     bigint NOT NULL CHECK (amount_pence > 0),
    due_on           date NOT NULL,
    notice_id        bigint REFERENCES finance_notices(id),
    letter_id        bigint REFERENCES documents(id),
    created_at       timestamptz NOT NULL,
    written_off_pence bigint CHECK (written_off_pence > 0),
    written_off_by   bigint REFERENCES users(id),
    written_off_role text NOT NULL DEFAULT '',
    write_off_reason text NOT NULL DEFAULT '',
    written_off_at   timestamptz
);

-- One row per repayment received, keyed by its number in the recovery so a retry writes it once.
CREATE TABLE repayments (
    award_id     bigint NOT NULL REFERENCES recoveries(award_id),
    seq          int NOT NULL CHECK (seq > 0),
    amount_pence bigint NOT NULL CHECK (amount_pence > 0),
    received_on  date NOT NULL,
    reference    text NOT NULL,
    recorded_by  bigint NOT NULL REFERENCES users(id),
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (award_id, seq)
);

-- A quarter's monitoring return the head of commissioning waived so the grant could close without it.
CREATE TABLE return_waivers (
    application_id bigint NOT NULL REFERENCES applications(id),
    financial_year int NOT NULL,
    quarter        int NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    reason         text NOT NULL,
    waived_by      bigint NOT NULL REFERENCES users(id),
    waived_at      timestamptz NOT NULL,
    PRIMARY KEY (application_id, financial_year, quarter)
);

-- +goose Down
DROP TABLE return_waivers, repayments, recoveries;
