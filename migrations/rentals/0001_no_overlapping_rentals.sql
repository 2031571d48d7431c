-- No two rentals that hold an item (being set up, active, or being undone) may overlap in
-- time: an exclusion constraint on (item_id, [period_from, period_to)). It needs btree_gist
-- for the uuid equality; where the extension is not available (embedded PGlite), the
-- serialized check in the code (an advisory lock per item) is the only guard.
DO $$
BEGIN
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
