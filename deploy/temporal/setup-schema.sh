#!/bin/sh
# Temporal's persistence and visibility databases on PostgreSQL, created if missing and brought up
# to the schema of the admin-tools image's server version (temporal-sql-tool, as Temporal's own
# compose files do since the auto-setup image was deprecated). Safe to run again: create ignores an
# existing database, setup-schema an existing version, update-schema applies only what is new.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must be set}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
schema=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
	dir=$db
	[ "$db" = temporal_visibility ] && dir=visibility
	sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" "$@"; }
	sql create
	sql setup-schema -v 0.0
	sql update-schema -d "$schema/$dir/versioned"
	echo "$db: schema up to date"
done
