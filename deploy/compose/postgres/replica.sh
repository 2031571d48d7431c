#!/bin/sh
# A streaming replica: clones the primary on first start (pg_basebackup -R writes standby settings), then runs.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pg_basebackup -h postgres-primary -U shareloop -D "$PGDATA" -R -X stream -S "$REPLICA_SLOT"
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c max_prepared_transactions=50
