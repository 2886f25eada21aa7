-- +goose Up
-- The records that are only ever inserted are append-only in the database itself, not just by
-- convention: a trigger refuses UPDATE, DELETE and TRUNCATE on them whoever asks (the owner too,
-- until it disables the trigger on purpose), and the application's role (grantflow_app, see
-- deploy/postgres/roles.sql) is granted only SELECT and INSERT on them. The code has no path that
-- changes or removes a row of any of these tables.
-- A new append-only table: attach append_only() as below, then SELECT grant_application_role().

-- +goose StatementBegin
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: its rows are never changed or removed%', TG_TABLE_NAME,
        CASE WHEN TG_NARGS > 0 THEN '; ' || TG_ARGV[0] ELSE '' END
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- The register's frozen publications had their own trigger (00027); they share this one now.
DROP TRIGGER register_publications_frozen ON register_publications;
DROP FUNCTION register_publications_frozen();

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        -- audit trails: who did what, when and why
        'application_events', 'admin_events', 'organisation_changes', 'budget_changes', 'scheme_rules_versions',
        -- what was issued, published or submitted, kept as it was
        'register_publications', 'panel_reports', 'scheme_forms', 'submissions', 'finance_notices',
        -- facts recorded once: a declaration of interest stands, money paid or received, a decline, a waiver
        'conflicts', 'payments', 'repayments', 'declines', 'return_waivers']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION append_only(%L)',
            t || '_append_only', t, CASE t WHEN 'register_publications' THEN 'publish a new version instead' ELSE 'record a new fact instead' END);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION append_only()',
            t || '_no_truncate', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- What grantflow_app may do, in one place: read and write the ordinary tables and use their
-- sequences; only read and insert where append_only() guards the table; only read goose's version
-- table (the readiness check). Tables the migrations create later are granted by default. Where the
-- role does not exist (tests, `make run` as the postgres superuser) it does nothing; roles.sql calls
-- it too, for a database migrated before the roles were created.
-- +goose StatementBegin
CREATE FUNCTION grant_application_role() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grantflow_app') THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO grantflow_app', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO grantflow_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO grantflow_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO grantflow_app', current_schema());
    FOR t IN SELECT DISTINCT tgrelid::regclass FROM pg_trigger WHERE tgfoid = 'append_only'::regproc LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM grantflow_app', t);
    END LOOP;
    IF to_regclass('goose_db_version') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON goose_db_version FROM grantflow_app;
    END IF;
END;
$$;
-- +goose StatementEnd

SELECT grant_application_role();

-- +goose Down
DROP FUNCTION grant_application_role();
-- +goose StatementBegin
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT tgname, tgrelid::regclass AS tbl FROM pg_trigger WHERE tgfoid = 'append_only'::regproc LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION append_only();
-- +goose StatementBegin
CREATE FUNCTION register_publications_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'register publications are never changed or removed: publish a new version instead';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER register_publications_frozen BEFORE UPDATE OR DELETE ON register_publications
    FOR EACH ROW EXECUTE FUNCTION register_publications_frozen();
