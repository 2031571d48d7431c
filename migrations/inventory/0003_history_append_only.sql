-- Item history is an audit trail: rows are appended with each change and never edited or
-- removed, whoever connects.
CREATE FUNCTION "inventory"."refuse_history_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "item_history_append_only" BEFORE UPDATE OR DELETE ON "inventory"."item_history"
  FOR EACH ROW EXECUTE FUNCTION "inventory"."refuse_history_change"();
--> statement-breakpoint
CREATE TRIGGER "item_history_no_truncate" BEFORE TRUNCATE ON "inventory"."item_history"
  FOR EACH STATEMENT EXECUTE FUNCTION "inventory"."refuse_history_change"();
