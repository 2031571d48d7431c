#!/bin/sh
# Lets the replicas stream from the primary (runs once, when the primary's data directory is created).
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "select pg_create_physical_replication_slot('replica_1'), pg_create_physical_replication_slot('replica_2')"
