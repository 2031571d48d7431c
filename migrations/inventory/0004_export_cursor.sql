-- Export cursor for the warehouse (shared/db/change-feed.ts): the id of the transaction that
-- appended the history row (append-only, so a default is enough). Not in db/schema.ts on
-- purpose: only this migration and the export query know it.
ALTER TABLE "inventory"."item_history" ADD COLUMN "change_xid" xid8 DEFAULT pg_current_xact_id() NOT NULL;
--> statement-breakpoint
CREATE INDEX "item_history_change_xid_idx" ON "inventory"."item_history" ("change_xid", "id");
