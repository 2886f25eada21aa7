-- +goose Up
-- Supporting documents an applicant organisation uploads (a safeguarding policy, its constitution,
-- its accounts). Unlike documents (letters the system generates), these come from outside: the type
-- is what the content was sniffed as, never what the browser claimed, and the name is sanitised.
CREATE TABLE uploads (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    kind           text NOT NULL CHECK (kind IN ('safeguarding_policy', 'constitution', 'accounts', 'other')),
    filename       text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 200),
    content_type   text NOT NULL,
    size_bytes     bigint NOT NULL CHECK (size_bytes > 0),
    sha256         text NOT NULL,
    content        bytea NOT NULL,
    uploaded_by    bigint NOT NULL REFERENCES users(id),
    uploaded_at    timestamptz NOT NULL,
    CHECK (octet_length(content) = size_bytes)
);
CREATE INDEX uploads_application ON uploads (application_id, id);

-- +goose Down
DROP TABLE uploads;
