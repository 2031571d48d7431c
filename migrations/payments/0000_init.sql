CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE TABLE "payments"."accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"owner_id" uuid,
	"currency" text NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_identity_unique" UNIQUE NULLS NOT DISTINCT("kind","owner_id","currency"),
	CONSTRAINT "accounts_id_currency_unique" UNIQUE("id","currency"),
	CONSTRAINT "accounts_kind_check" CHECK ("payments"."accounts"."kind" in ('wallet', 'holds', 'platform_fees', 'external_cash')),
	CONSTRAINT "accounts_owner_check" CHECK (("payments"."accounts"."owner_id" is null) = ("payments"."accounts"."kind" in ('platform_fees', 'external_cash'))),
	CONSTRAINT "accounts_currency_check" CHECK ("payments"."accounts"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "accounts_non_negative_check" CHECK ("payments"."accounts"."kind" in ('platform_fees', 'external_cash') or "payments"."accounts"."balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payments"."authorizations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"payer_id" uuid NOT NULL,
	"payee_id" uuid,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text DEFAULT 'authorized' NOT NULL,
	"captured_amount" bigint DEFAULT 0 NOT NULL,
	"platform_fee_amount" bigint DEFAULT 0 NOT NULL,
	"released_amount" bigint DEFAULT 0 NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "authorizations_status_check" CHECK ("payments"."authorizations"."status" in ('authorized', 'captured', 'voided', 'refunded')),
	CONSTRAINT "authorizations_amount_check" CHECK ("payments"."authorizations"."amount" > 0),
	CONSTRAINT "authorizations_split_check" CHECK ("payments"."authorizations"."captured_amount" >= 0 and "payments"."authorizations"."platform_fee_amount" >= 0 and "payments"."authorizations"."platform_fee_amount" <= "payments"."authorizations"."captured_amount" and "payments"."authorizations"."released_amount" >= 0 and "payments"."authorizations"."captured_amount" + "payments"."authorizations"."released_amount" = case when "payments"."authorizations"."status" = 'authorized' then 0 else "payments"."authorizations"."amount" end),
	CONSTRAINT "authorizations_refund_check" CHECK ("payments"."authorizations"."refunded_amount" = case when "payments"."authorizations"."status" = 'refunded' then "payments"."authorizations"."captured_amount" else 0 end),
	CONSTRAINT "authorizations_payee_check" CHECK (("payments"."authorizations"."payee_id" is not null) = ("payments"."authorizations"."status" in ('captured', 'refunded')))
);
--> statement-breakpoint
CREATE TABLE "payments"."ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "payments"."ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "ledger_entries_account_per_transaction_unique" UNIQUE("transaction_id","account_id"),
	CONSTRAINT "ledger_entries_amount_check" CHECK ("payments"."ledger_entries"."amount" <> 0)
);
--> statement-breakpoint
CREATE TABLE "payments"."ledger_transactions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "payments"."ledger_transactions_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"currency" text NOT NULL,
	"authorization_id" uuid,
	"reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_transactions_seq_unique" UNIQUE("seq"),
	CONSTRAINT "ledger_transactions_id_currency_unique" UNIQUE("id","currency"),
	CONSTRAINT "ledger_transactions_kind_check" CHECK ("payments"."ledger_transactions"."kind" in ('top_up', 'authorization', 'capture', 'void', 'refund')),
	CONSTRAINT "ledger_transactions_authorization_check" CHECK (("payments"."ledger_transactions"."authorization_id" is null) = ("payments"."ledger_transactions"."kind" = 'top_up'))
);
--> statement-breakpoint
CREATE TABLE "payments"."operations" (
	"operation_id" text PRIMARY KEY NOT NULL,
	"command" text NOT NULL,
	"fingerprint" text NOT NULL,
	"authorization_id" uuid,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payments"."ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_fk" FOREIGN KEY ("transaction_id","currency") REFERENCES "payments"."ledger_transactions"("id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments"."ledger_entries" ADD CONSTRAINT "ledger_entries_account_fk" FOREIGN KEY ("account_id","currency") REFERENCES "payments"."accounts"("id","currency") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments"."ledger_transactions" ADD CONSTRAINT "ledger_transactions_authorization_id_authorizations_id_fk" FOREIGN KEY ("authorization_id") REFERENCES "payments"."authorizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments"."operations" ADD CONSTRAINT "operations_authorization_id_authorizations_id_fk" FOREIGN KEY ("authorization_id") REFERENCES "payments"."authorizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accounts_owner_idx" ON "payments"."accounts" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "authorizations_payer_idx" ON "payments"."authorizations" USING btree ("payer_id");--> statement-breakpoint
CREATE INDEX "authorizations_reference_idx" ON "payments"."authorizations" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "payments"."ledger_entries" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "ledger_transactions_authorization_idx" ON "payments"."ledger_transactions" USING btree ("authorization_id");--> statement-breakpoint
CREATE INDEX "operations_authorization_idx" ON "payments"."operations" USING btree ("authorization_id");