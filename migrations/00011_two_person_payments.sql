-- +goose Up
-- Two-person payments: one member of finance proposes a payment (a one-off grant's, tranche 1, or a
-- service award's tranche), another approves it; only then is it paid. One row per payment, as
-- payments has; the CHECK keeps the two people apart even if a caller forgot the rule.
CREATE TABLE payment_sign_offs (
    award_id    bigint NOT NULL REFERENCES awards(id),
    tranche     int NOT NULL,
    proposed_by bigint NOT NULL REFERENCES users(id),
    proposed_at timestamptz NOT NULL,
    approved_by bigint REFERENCES users(id),
    approved_at timestamptz,
    PRIMARY KEY (award_id, tranche),
    CHECK (approved_by IS NULL OR approved_by <> proposed_by),
    CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);

-- A payment records who proposed and who approved it (empty for payments recorded in one step
-- before two-person payments).
ALTER TABLE payments ADD COLUMN proposed_by bigint REFERENCES users(id);
ALTER TABLE payments ADD COLUMN approved_by bigint REFERENCES users(id);

-- +goose Down
ALTER TABLE payments DROP COLUMN approved_by;
ALTER TABLE payments DROP COLUMN proposed_by;
DROP TABLE payment_sign_offs;
