-- Export cursor for the warehouse (shared/db/change-feed.ts): the id of the transaction that
-- posted the entry (append-only, so a default is enough; adding the column rewrites the
-- table without firing the append-only triggers). Not in db/schema.ts on purpose.
ALTER TABLE "payments"."ledger_entries" ADD COLUMN "change_xid" xid8 DEFAULT pg_current_xact_id() NOT NULL;
--> statement-breakpoint
CREATE INDEX "ledger_entries_change_xid_idx" ON "payments"."ledger_entries" ("change_xid", "id");
