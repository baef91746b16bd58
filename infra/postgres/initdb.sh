#!/bin/sh
# Run once by the postgres image when it initialises an empty data volume (compose.yaml
# mounts it into /docker-entrypoint-initdb.d): the service's least-privilege roles, and
# their privileges in the service's database. POSTGRES_USER owns the schema (migrations).
set -eu
psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v runtime=alpes_runtime -v runtime_password="$POSTGRES_RUNTIME_PASSWORD" \
  -v readonly=alpes_readonly -v readonly_password="$POSTGRES_READONLY_PASSWORD" \
  -f /alpes/roles.sql
psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" -v runtime=alpes_runtime -v readonly=alpes_readonly \
  -f /alpes/grants.sql
