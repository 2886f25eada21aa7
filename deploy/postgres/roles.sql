-- The two database roles of a production Grantflow, run once by a superuser (docker-compose mounts it
-- in PostgreSQL's /docker-entrypoint-initdb.d). Set each role's password for your deployment with
-- ALTER ROLE ... PASSWORD; nothing here is a secret. See docs/audit.md.
--   grantflow_owner owns the schema and runs the migrations (`grantflow migrate`, MIGRATE_DATABASE_URL).
--     It may create databases so that its first `grantflow migrate` creates the grantflow database
--     and so owns it (and, on PostgreSQL 15 and later, its public schema); create the database
--     yourself with OWNER grantflow_owner and you can drop CREATEDB.
--   grantflow_app is what the HTTP server and workers connect as (DATABASE_URL): the migrations grant
--     it only what it needs, and on the append-only tables (the audit trail) only INSERT and SELECT.
-- Run again in a Grantflow database migrated before the roles existed, it grants grantflow_app there.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grantflow_owner') THEN
        CREATE ROLE grantflow_owner LOGIN CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grantflow_app') THEN
        CREATE ROLE grantflow_app LOGIN;
    END IF;
    IF to_regproc('grant_application_role') IS NOT NULL THEN
        PERFORM grant_application_role();
    END IF;
END
$$;
