-- Export cursor for the warehouse (shared/db/change-feed.ts): the id of the transaction that
-- last changed the rental (anything but the saga lease and updated_at, so lease renewals do
-- not send it again), stamped on insert (default) and on such an update (trigger). Not in db/schema.ts
-- on purpose: only this migration and the export query know it.
CREATE FUNCTION "rentals"."stamp_change_xid"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;
--> statement-breakpoint
ALTER TABLE "rentals"."rentals" ADD COLUMN "change_xid" xid8 DEFAULT pg_current_xact_id() NOT NULL;
--> statement-breakpoint
CREATE TRIGGER "rentals_change_xid" BEFORE UPDATE ON "rentals"."rentals" FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'lease_token' - 'lease_expires_at' - 'updated_at' - 'change_xid') IS DISTINCT FROM (to_jsonb(NEW) - 'lease_token' - 'lease_expires_at' - 'updated_at' - 'change_xid'))
  EXECUTE FUNCTION "rentals"."stamp_change_xid"();
--> statement-breakpoint
CREATE INDEX "rentals_change_xid_idx" ON "rentals"."rentals" ("change_xid", "id");
