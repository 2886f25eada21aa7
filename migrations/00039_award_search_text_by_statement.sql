-- +goose Up
-- An award's reference reaches its application's search text (00036) once per statement, not once
-- per award: a statement that writes many awards at once (a bulk load, an import from an office's
-- old system) updated the applications one row and one trigram index entry at a time, which
-- made half a million awards take half an hour. Now each statement updates the applications it
-- touched in one set. A single award, the usual case, costs what it did.
--
-- Transition tables cannot follow an UPDATE OF column list, so the update trigger fires on every
-- update of awards and looks in its transition tables for a changed reference or application;
-- the three triggers share the transition tables' names, so one function serves them all.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of_awards() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[]; -- the applications whose award came, went, or changed reference or application (both sides of a move)
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(application_id) INTO changed FROM new_awards;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(application_id) INTO changed FROM old_awards;
    ELSE
        SELECT array_agg(application_id) INTO changed FROM (
            (SELECT application_id, reference FROM old_awards EXCEPT SELECT application_id, reference FROM new_awards)
            UNION
            (SELECT application_id, reference FROM new_awards EXCEPT SELECT application_id, reference FROM old_awards)) moved;
    END IF;
    -- Each takes the reference its award has now, read afresh, whatever else the statement did.
    UPDATE applications a SET search_text = search_text_of((SELECT reference FROM awards WHERE application_id = a.id),
        (SELECT name FROM organisations WHERE id = a.organisation_id), a.title)
    WHERE a.id = ANY(changed);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- The old per-row trigger goes in the same transaction as the new ones arrive: never both, never neither.
DROP TRIGGER IF EXISTS search_text ON awards;
CREATE TRIGGER search_text_insert AFTER INSERT ON awards REFERENCING NEW TABLE AS new_awards
    FOR EACH STATEMENT EXECUTE FUNCTION search_text_of_awards();
CREATE TRIGGER search_text_update AFTER UPDATE ON awards REFERENCING OLD TABLE AS old_awards NEW TABLE AS new_awards
    FOR EACH STATEMENT EXECUTE FUNCTION search_text_of_awards();
CREATE TRIGGER search_text_delete AFTER DELETE ON awards REFERENCING OLD TABLE AS old_awards
    FOR EACH STATEMENT EXECUTE FUNCTION search_text_of_awards();
DROP FUNCTION IF EXISTS search_text_of_award();

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_text_of_award() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications a SET search_text = search_text_of((SELECT reference FROM awards WHERE application_id = a.id),
        (SELECT name FROM organisations WHERE id = a.organisation_id), a.title)
    WHERE a.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.application_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.application_id END);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS search_text_insert ON awards;
DROP TRIGGER IF EXISTS search_text_update ON awards;
DROP TRIGGER IF EXISTS search_text_delete ON awards;
CREATE TRIGGER search_text AFTER INSERT OR DELETE OR UPDATE OF reference, application_id ON awards
    FOR EACH ROW EXECUTE FUNCTION search_text_of_award();
DROP FUNCTION IF EXISTS search_text_of_awards();
