-- +goose Up
-- The bank account an award is paid into. Details are taken when the offer is accepted; a change
-- after acceptance is held until a member of finance confirms it by calling the organisation back
-- on a number they already hold (payment-fraud guidance for public bodies), and that call-back is
-- recorded here beside the change it decided. Rows are never deleted: each set given is kept with
-- what became of it.
--   verified  the details finance pays to (given at acceptance, or a change confirmed by call-back)
--   held      a change after acceptance awaiting finance's call-back; nothing is paid meanwhile
--   rejected  a held change the call-back did not confirm
--   replaced  details a later set took the place of
CREATE TABLE bank_details (
    id              bigserial PRIMARY KEY,
    application_id  bigint NOT NULL REFERENCES applications(id),
    account_name    text NOT NULL CHECK (account_name <> ''),
    sort_code       text NOT NULL CHECK (sort_code ~ '^[0-9]{6}$'),
    account_number  text NOT NULL CHECK (account_number ~ '^[0-9]{8}$'),
    status          text NOT NULL CHECK (status IN ('verified', 'held', 'rejected', 'replaced')),
    submitted_by    bigint NOT NULL REFERENCES users(id),
    submitted_at    timestamptz NOT NULL,
    call_back_by    bigint REFERENCES users(id),
    call_back_at    timestamptz,
    call_back_phone text NOT NULL DEFAULT '',
    call_back_notes text NOT NULL DEFAULT '',
    CHECK ((call_back_by IS NULL) = (call_back_at IS NULL))
);
CREATE INDEX bank_details_application ON bank_details (application_id, id);
CREATE UNIQUE INDEX bank_details_one_verified ON bank_details (application_id) WHERE status = 'verified';
CREATE UNIQUE INDEX bank_details_one_held ON bank_details (application_id) WHERE status = 'held';

-- +goose Down
DROP TABLE bank_details;
