-- Export cursor for the warehouse (shared/db/change-feed.ts): the id of the transaction that
-- last changed the row, stamped on insert (default) and on update (trigger). Not in
-- db/schema.ts on purpose: only this migration and the export query know it.
CREATE FUNCTION "identity"."stamp_change_xid"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER TABLE "identity"."users" ADD COLUMN "change_xid" xid8 DEFAULT pg_current_xact_id() NOT NULL;
--> statement-breakpoint
CREATE TRIGGER "users_change_xid" BEFORE UPDATE ON "identity"."users" FOR EACH ROW
  WHEN ((OLD.role, OLD.created_at) IS DISTINCT FROM (NEW.role, NEW.created_at)) EXECUTE FUNCTION "identity"."stamp_change_xid"();
--> statement-breakpoint
CREATE INDEX "users_change_xid_idx" ON "identity"."users" ("change_xid", "id");
