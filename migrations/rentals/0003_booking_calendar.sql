ALTER TABLE "rentals"."saga_steps" DROP CONSTRAINT "saga_steps_status_check";--> statement-breakpoint
ALTER TABLE "rentals"."rentals" ADD COLUMN "handed_over_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rentals"."saga_steps" ADD CONSTRAINT "saga_steps_status_check" CHECK ("rentals"."saga_steps"."status" in ('started', 'waiting', 'succeeded', 'failed', 'skipped'));--> statement-breakpoint
-- Rentals that were active before the calendar had their item handed over when they were confirmed.
UPDATE "rentals"."rentals" SET "handed_over_at" = "confirmed_at" WHERE "status" IN ('active', 'completed') AND "handed_over_at" IS NULL;
--> statement-breakpoint
-- A database that lacked btree_gist when 0001 ran (embedded PGlite before it loaded the extension) gets the constraint now.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'rentals_no_overlap') THEN
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gist;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'btree_gist is not available (%); overlapping rentals are refused by the serialized check only', SQLERRM;
    RETURN;
  END;
  ALTER TABLE "rentals"."rentals" ADD CONSTRAINT "rentals_no_overlap"
    EXCLUDE USING gist ("item_id" WITH =, tstzrange("period_from", "period_to", '[)') WITH &&)
    WHERE ("status" IN ('requested', 'confirmed', 'active', 'compensating'));
END
$$;
