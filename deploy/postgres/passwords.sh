#!/bin/sh
# Gives the roles roles.sql created their passwords from the container's environment and creates
# the grantflow database owned by grantflow_owner. PostgreSQL's image runs it once, after
# roles.sql, on an empty data directory (docker-compose.yml mounts both in
# /docker-entrypoint-initdb.d). psql's :'name' quoting keeps a password out of the SQL text.
set -eu
: "${GRANTFLOW_OWNER_PASSWORD:?GRANTFLOW_OWNER_PASSWORD must be set}"
: "${GRANTFLOW_APP_PASSWORD:?GRANTFLOW_APP_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
	-v owner_password="$GRANTFLOW_OWNER_PASSWORD" -v app_password="$GRANTFLOW_APP_PASSWORD" <<'SQL'
ALTER ROLE grantflow_owner PASSWORD :'owner_password';
ALTER ROLE grantflow_app PASSWORD :'app_password';
CREATE DATABASE grantflow OWNER grantflow_owner;
SQL
