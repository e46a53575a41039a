#!/bin/sh
# One-shot job in temporalio/admin-tools (docker-compose.yml service temporal-schema): create Temporal's two
# PostgreSQL databases and bring both schemas up to the version embedded in this image's temporal-sql-tool, which is
# the version the matching temporalio/server expects. Safe to run again and again: `create` accepts an existing
# database, `setup-schema -v 0.0` leaves a versioned schema alone, and `update-schema` applies only newer versions —
# so bumping the image tags and `docker compose up -d` upgrades the schema before the new server starts.
# Compose starts it once PostgreSQL is healthy; a failed attempt exits non-zero and compose retries it.
set -eu

: "${SQL_HOST:=postgresql}" "${SQL_PORT:=5432}" "${SQL_USER:=temporal}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be the PostgreSQL password}"
: "${DBNAME:=temporal}" "${VISIBILITY_DBNAME:=temporal_visibility}"
export SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD
export SQL_PLUGIN=postgres12

for target in "${DBNAME}:temporal" "${VISIBILITY_DBNAME}:visibility"; do
  db=${target%%:*}
  schema=${target#*:}
  echo "Database ${db}: create if missing, then schema postgresql/v12/${schema} up to date"
  temporal-sql-tool --db "$db" create
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema --schema-name "postgresql/v12/${schema}"
done
echo "Temporal schema ready."
