-- The two database roles of a production Grantflow, run once by a superuser (docker-compose mounts it
-- in PostgreSQL's /docker-entrypoint-initdb.d). Set each role's password for your deployment with
-- ALTER ROLE ... PASSWORD; nothing here is a secret.
--   grantflow_owner owns the schema and runs the migrations (`grantflow migrate`, MIGRATE_DATABASE_URL);
--   grantflow_app is what the HTTP server and workers connect as (DATABASE_URL): the migrations grant
--   it only what it needs, and on the append-only tables (the audit trail) only INSERT and SELECT.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grantflow_owner') THEN
        CREATE ROLE grantflow_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grantflow_app') THEN
        CREATE ROLE grantflow_app LOGIN;
    END IF;
END
$$;
