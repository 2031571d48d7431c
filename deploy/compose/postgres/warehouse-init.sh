#!/bin/sh
# The data warehouse's own database (WAREHOUSE_URL); runs once, when the data directory is created.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "create database warehouse owner \"$POSTGRES_USER\""
