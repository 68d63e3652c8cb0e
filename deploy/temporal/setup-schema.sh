#!/bin/sh
# One-shot (docker-compose service temporal-schema, image temporalio/admin-tools):
# creates Temporal's two PostgreSQL databases if missing and migrates both
# schemas to the versions bundled with the admin-tools image.
#
# The commands follow Temporal's own PostgreSQL setup: the auto-setup script
# (temporalio/docker-builds docker/auto-setup.sh, setup_postgres_schema) and
# the compose example (temporalio/samples-server compose/scripts/setup-postgres.sh):
#   temporal-sql-tool --db DB create
#   temporal-sql-tool --db DB setup-schema -v 0.0
#   temporal-sql-tool --db DB update-schema -d /etc/temporal/schema/postgresql/v12/<temporal|visibility>/versioned
# Connection settings come from the environment variables temporal-sql-tool
# reads itself: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
#
# Safe to re-run (docker compose restarts exited one-shots on every `up`):
# create succeeds for an existing database (the postgres12 plugin ignores
# PostgreSQL's duplicate-database error), setup-schema -v 0.0 leaves a newer schema
# version alone, and update-schema only applies versions above the current
# one. After upgrading the admin-tools and server images together, the next
# `up` migrates the schema before the new server starts.
set -eu

: "${SQL_HOST:?SQL_HOST must be set}"
: "${SQL_PORT:=5432}"
# Where the admin-tools image keeps the versioned schema files.
: "${SCHEMA_ROOT:=/etc/temporal/schema/postgresql/v12}"

echo "Waiting for PostgreSQL at ${SQL_HOST}:${SQL_PORT}..."
i=0
until nc -z "$SQL_HOST" "$SQL_PORT"; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "PostgreSQL did not accept connections within 60s" >&2
		exit 1
	fi
	sleep 1
done

for pair in temporal:temporal temporal_visibility:visibility; do
	db=${pair%%:*}
	schema=${pair#*:}
	temporal-sql-tool --db "$db" create
	temporal-sql-tool --db "$db" setup-schema -v 0.0
	temporal-sql-tool --db "$db" update-schema -d "$SCHEMA_ROOT/$schema/versioned"
	echo "Schema of $db is up to date."
done
