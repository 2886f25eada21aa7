-- +goose Up
-- People (issue 12): staff invited by e-mail, e-mail addresses verified, forgotten passwords reset,
-- colleagues invited into an applicant organisation, and the organisation's details kept with history.

-- A member of staff invited but not yet signed up has no password (password_hash = ''), which no
-- password matches; band_title is the delegation band a Commissioner or head of commissioning
-- decides in. Everyone who exists before this migration counts as verified.
ALTER TABLE users
    ADD COLUMN band_title        text NOT NULL DEFAULT '',
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN invited_at        timestamptz;
UPDATE users SET email_verified_at = created_at;

-- One-time links. The token is 32 random bytes (base64url, 43 characters); the first 12
-- characters are kept as the selector to find the row, and only the SHA-256 of the whole token is
-- stored, compared in constant time. Using a link sets used_at in one UPDATE that also checks it
-- is unused, not cancelled and unexpired, so a link works once however many times it is sent.
CREATE TABLE account_tokens (
    id              bigserial PRIMARY KEY,
    selector        text NOT NULL UNIQUE,
    token_hash      bytea NOT NULL,
    purpose         text NOT NULL CHECK (purpose IN ('staff_invitation', 'member_invitation', 'password_reset', 'email_verification')),
    user_id         bigint REFERENCES users(id),          -- whose password or address; the invited member of staff
    organisation_id bigint REFERENCES organisations(id),  -- a member invitation's organisation
    email           text NOT NULL,
    name            text NOT NULL DEFAULT '',
    created_by      bigint REFERENCES users(id),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    cancelled_at    timestamptz
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose) WHERE used_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX account_tokens_organisation ON account_tokens (organisation_id) WHERE used_at IS NULL AND cancelled_at IS NULL;

-- The organisation's main contact.
ALTER TABLE organisations
    ADD COLUMN contact_name  text NOT NULL DEFAULT '',
    ADD COLUMN contact_email text NOT NULL DEFAULT '',
    ADD COLUMN contact_phone text NOT NULL DEFAULT '';

-- Every change to an organisation's details: the fields before and after, who and when. Rows are
-- only ever inserted.
CREATE TABLE organisation_changes (
    id              bigserial PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES organisations(id),
    at              timestamptz NOT NULL,
    by_user_id      bigint REFERENCES users(id),
    by_name         text NOT NULL,
    before          jsonb NOT NULL,
    after           jsonb NOT NULL
);
CREATE INDEX organisation_changes_organisation ON organisation_changes (organisation_id, at DESC, id DESC);

-- +goose Down
DROP TABLE organisation_changes;
ALTER TABLE organisations DROP COLUMN contact_phone, DROP COLUMN contact_email, DROP COLUMN contact_name;
DROP TABLE account_tokens;
ALTER TABLE users DROP COLUMN invited_at, DROP COLUMN email_verified_at, DROP COLUMN band_title;
