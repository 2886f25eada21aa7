-- +goose NO TRANSACTION
-- +goose Up
-- Staff's search by part of an application's award reference, its organisation's name or its
-- title reads one column, applications.search_text (the three joined by a unit separator, which
-- nothing typed contains, so a match never spans two of them), through one trigram index. The
-- planner can then weigh that index against reading the applications newest first by id (or by
-- stage and id) and stopping at a page: the union of three per-table matches it replaces had to
-- be read whole, sorted and counted on every page (2.4 s a page at a million applications).
--
-- Triggers keep the column right whoever writes: the application's own (title, organisation),
-- its organisation's name and its award's reference.
--
-- No transaction: on a table of a million rows the column is filled in batches of 10,000, each
-- committed on its own, so no lock is held for more than a moment and the applications stay
-- writable throughout (one UPDATE of every row would hold its row locks until it ended and
-- write the whole table's new versions in one go); the index is built CONCURRENTLY for the
-- same reason. The column is added without a default, which changes only the catalogue. The
-- triggers (CREATE OR REPLACE, so never a moment without one) come before the fill, so a row
-- written meanwhile is right either way. Each step can be run again if the migration stops half way.
--
-- Servers from before this migration read applications with a.* into a struct that has no
-- search_text, so they fail on every application read once the column exists: stop the front
-- door and workers of the old version (scale them to none) before `grantflow migrate` runs this,
-- as the README's upgrade notes say. Workflows wait meanwhile; nothing is lost.

ALTER TABLE applications ADD COLUMN IF NOT EXISTS search_text text;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of(reference text, organisation text, title text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT concat_ws(chr(31), reference, organisation, title)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of_application() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := search_text_of((SELECT reference FROM awards WHERE application_id = NEW.id),
        (SELECT name FROM organisations WHERE id = NEW.organisation_id), NEW.title);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications a SET search_text = search_text_of((SELECT reference FROM awards WHERE application_id = a.id), NEW.name, a.title)
    WHERE a.organisation_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of_award() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An award's reference, or its removal, and (should it ever move) the application it left.
    UPDATE applications a SET search_text = search_text_of((SELECT reference FROM awards WHERE application_id = a.id),
        (SELECT name FROM organisations WHERE id = a.organisation_id), a.title)
    WHERE a.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.application_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.application_id END);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE OR REPLACE TRIGGER search_text BEFORE INSERT OR UPDATE OF title, organisation_id ON applications
    FOR EACH ROW EXECUTE FUNCTION search_text_of_application();
CREATE OR REPLACE TRIGGER search_text AFTER UPDATE OF name ON organisations
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION search_text_of_organisation();
CREATE OR REPLACE TRIGGER search_text AFTER INSERT OR DELETE OR UPDATE OF reference, application_id ON awards
    FOR EACH ROW EXECUTE FUNCTION search_text_of_award();

-- +goose StatementBegin
DO $$
DECLARE
    last bigint := 0;
    top bigint;
BEGIN
    SELECT max(id) INTO top FROM applications;
    WHILE last < coalesce(top, 0) LOOP
        UPDATE applications a SET search_text = search_text_of((SELECT reference FROM awards WHERE application_id = a.id),
            (SELECT name FROM organisations WHERE id = a.organisation_id), a.title)
        WHERE a.id > last AND a.id <= last + 10000 AND a.search_text IS NULL;
        last := last + 10000;
        COMMIT;
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- A build cut short leaves an invalid index that IF NOT EXISTS would keep: drop it and build again.
DROP INDEX CONCURRENTLY IF EXISTS applications_search_trgm;
CREATE INDEX CONCURRENTLY applications_search_trgm ON applications USING gin (search_text gin_trgm_ops);
-- The search was the title index's only reader; the organisations' and awards' stay for lists of their own.
DROP INDEX CONCURRENTLY IF EXISTS applications_title_trgm;
-- The planner's statistics of the new column, before the first search rather than at autovacuum's pace.
ANALYZE applications;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS applications_title_trgm ON applications USING gin (title gin_trgm_ops);
DROP INDEX CONCURRENTLY IF EXISTS applications_search_trgm;
DROP TRIGGER IF EXISTS search_text ON awards;
DROP TRIGGER IF EXISTS search_text ON organisations;
DROP TRIGGER IF EXISTS search_text ON applications;
DROP FUNCTION IF EXISTS search_text_of_award();
DROP FUNCTION IF EXISTS search_text_of_organisation();
DROP FUNCTION IF EXISTS search_text_of_application();
DROP FUNCTION IF EXISTS search_text_of(text, text, text);
ALTER TABLE applications DROP COLUMN IF EXISTS search_text;
