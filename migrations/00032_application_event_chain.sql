-- +goose Up
-- Each application's audit trail is a hash chain: every event carries its place in the
-- application's trail (seq, from 1), the hash of the event before it (prev_hash, NULL for the
-- first) and its own hash, SHA-256 over the canonical encoding below. An edited, removed, inserted
-- or reordered event breaks the chain, which `grantflow audit verify` (store.VerifyAuditTrail)
-- recomputes. The database computes the chain on insert, so no code path can skip it or forge it.
-- docs/audit.md describes the encoding; store/audit.go is its other implementation.
ALTER TABLE application_events ADD COLUMN seq int, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- +goose StatementBegin
CREATE FUNCTION application_event_hash(e application_events) RETURNS bytea LANGUAGE sql AS $$
    SELECT sha256(convert_to('grantflow.application_events.v1', 'UTF8')
        || int8send(e.id) || int8send(e.application_id) || int8send(e.seq::bigint)
        || int8send(octet_length(convert_to(e.event_key, 'UTF8'))::bigint) || convert_to(e.event_key, 'UTF8')
        || int8send((extract(epoch FROM e.at) * 1000000)::bigint)
        || CASE WHEN e.actor_user_id IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea || int8send(e.actor_user_id) END
        || int8send(octet_length(convert_to(e.actor_name, 'UTF8'))::bigint) || convert_to(e.actor_name, 'UTF8')
        || int8send(octet_length(convert_to(e.actor_role, 'UTF8'))::bigint) || convert_to(e.actor_role, 'UTF8')
        || int8send(octet_length(convert_to(e.what, 'UTF8'))::bigint) || convert_to(e.what, 'UTF8')
        || int8send(octet_length(convert_to(e.why, 'UTF8'))::bigint) || convert_to(e.why, 'UTF8')
        || int8send(octet_length(convert_to(e.status, 'UTF8'))::bigint) || convert_to(e.status, 'UTF8')
        || CASE WHEN e.prev_hash IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea || e.prev_hash END)
$$;
-- +goose StatementEnd

-- The events recorded so far are chained in the order the trail has always been read in: (at, id).
UPDATE application_events e SET seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY application_id ORDER BY at, id) AS seq FROM application_events) n
WHERE n.id = e.id;

-- +goose StatementBegin
DO $$
DECLARE
    r application_events;
    previous bytea;
    application bigint;
BEGIN
    FOR r IN SELECT * FROM application_events ORDER BY application_id, seq LOOP
        IF application IS DISTINCT FROM r.application_id THEN
            previous := NULL;
            application := r.application_id;
        END IF;
        r.prev_hash := previous;
        r.hash := application_event_hash(r);
        UPDATE application_events SET prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        previous := r.hash;
    END LOOP;
END
$$;
-- +goose StatementEnd

ALTER TABLE application_events
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT application_events_hash_length CHECK (octet_length(hash) = 32 AND (prev_hash IS NULL OR octet_length(prev_hash) = 32)),
    ADD CONSTRAINT application_events_seq_key UNIQUE (application_id, seq);

-- A new event follows the application's last one. Inserts for one application wait for each other
-- (a transaction-scoped advisory lock on the application), so two concurrent steps cannot both
-- follow the same event; the UNIQUE (application_id, seq) refuses a fork should anything get past.
-- Whatever the inserter passes for seq, prev_hash and hash is replaced.
-- +goose StatementBegin
CREATE FUNCTION application_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq int;
    last_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('application_events:' || NEW.application_id, 0));
    SELECT seq, hash INTO last_seq, last_hash FROM application_events
        WHERE application_id = NEW.application_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := last_hash;
    NEW.hash := application_event_hash(NEW);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER application_events_chain BEFORE INSERT ON application_events
    FOR EACH ROW EXECUTE FUNCTION application_events_chain();

-- +goose Down
DROP TRIGGER application_events_chain ON application_events;
DROP FUNCTION application_events_chain();
ALTER TABLE application_events DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
DROP FUNCTION application_event_hash(application_events);
