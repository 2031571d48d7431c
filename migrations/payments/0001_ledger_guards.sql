-- Double entry, enforced by the database as well as by the code: at commit, every ledger
-- transaction written in it has at least two entries summing to zero. The triggers are
-- deferred, so a transaction's entries can be inserted one statement at a time. The trigger
-- argument names the column holding the ledger transaction's id.
CREATE FUNCTION "payments"."assert_transaction_balanced"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  txn uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
  total numeric;
  entries integer;
BEGIN
  SELECT coalesce(sum(amount), 0), count(*) INTO total, entries FROM "payments"."ledger_entries" WHERE transaction_id = txn;
  IF total <> 0 OR entries < 2 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance: % entries summing to %', txn, entries, total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "ledger_entries_balanced" AFTER INSERT ON "payments"."ledger_entries"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "payments"."assert_transaction_balanced"('transaction_id');
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "ledger_transactions_balanced" AFTER INSERT ON "payments"."ledger_transactions"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "payments"."assert_transaction_balanced"('id');
--> statement-breakpoint
-- The ledger is append-only: a mistake is corrected by a new transaction, never by an edit.
CREATE FUNCTION "payments"."refuse_ledger_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_append_only" BEFORE UPDATE OR DELETE ON "payments"."ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION "payments"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_no_truncate" BEFORE TRUNCATE ON "payments"."ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "payments"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "ledger_transactions_append_only" BEFORE UPDATE OR DELETE ON "payments"."ledger_transactions"
  FOR EACH ROW EXECUTE FUNCTION "payments"."refuse_ledger_change"();
--> statement-breakpoint
CREATE TRIGGER "ledger_transactions_no_truncate" BEFORE TRUNCATE ON "payments"."ledger_transactions"
  FOR EACH STATEMENT EXECUTE FUNCTION "payments"."refuse_ledger_change"();
