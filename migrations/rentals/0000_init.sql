CREATE SCHEMA "rentals";
--> statement-breakpoint
CREATE TABLE "rentals"."dead_letters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"consumer" text NOT NULL,
	"message_id" uuid NOT NULL,
	"event" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"payload" jsonb NOT NULL,
	"error" text NOT NULL,
	"attempts" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rentals"."inbox" (
	"consumer" text NOT NULL,
	"message_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "rentals"."outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"event" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "rentals"."rentals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"renter_id" uuid NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	"days" integer NOT NULL,
	"currency" text NOT NULL,
	"daily_price_amount" integer NOT NULL,
	"fee_amount" integer NOT NULL,
	"deposit_amount" integer NOT NULL,
	"total_amount" integer NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"authorization_id" uuid,
	"failure_code" text,
	"failure_detail" text,
	"lease_token" uuid,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "rentals_status_check" CHECK ("rentals"."rentals"."status" in ('requested', 'confirmed', 'active', 'compensating', 'cancelled', 'completed')),
	CONSTRAINT "rentals_period_check" CHECK ("rentals"."rentals"."period_to" > "rentals"."rentals"."period_from"),
	CONSTRAINT "rentals_amounts_check" CHECK ("rentals"."rentals"."days" >= 1 and "rentals"."rentals"."daily_price_amount" >= 0 and "rentals"."rentals"."deposit_amount" >= 0 and "rentals"."rentals"."fee_amount" = "rentals"."rentals"."daily_price_amount" * "rentals"."rentals"."days" and "rentals"."rentals"."total_amount" = "rentals"."rentals"."fee_amount" + "rentals"."rentals"."deposit_amount")
);
--> statement-breakpoint
CREATE TABLE "rentals"."saga_steps" (
	"rental_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error_code" text,
	"error_kind" text,
	"error_detail" text,
	"result" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "saga_steps_rental_id_name_pk" PRIMARY KEY("rental_id","name"),
	CONSTRAINT "saga_steps_status_check" CHECK ("rentals"."saga_steps"."status" in ('started', 'succeeded', 'failed', 'skipped')),
	CONSTRAINT "saga_steps_kind_check" CHECK ("rentals"."saga_steps"."kind" in ('forward', 'compensation', 'settlement'))
);
--> statement-breakpoint
CREATE TABLE "rentals"."two_phase_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"participants" jsonb NOT NULL,
	"state" text NOT NULL,
	"outcome" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "two_phase_log_state_check" CHECK (state in ('preparing', 'committing', 'aborting', 'done')),
	CONSTRAINT "two_phase_log_outcome_check" CHECK ((state = 'preparing' and outcome is null) or (state = 'committing' and outcome is not distinct from 'commit') or (state = 'aborting' and outcome is not distinct from 'abort') or (state = 'done' and outcome is not null and outcome in ('commit', 'abort')))
);
--> statement-breakpoint
ALTER TABLE "rentals"."saga_steps" ADD CONSTRAINT "saga_steps_rental_id_rentals_id_fk" FOREIGN KEY ("rental_id") REFERENCES "rentals"."rentals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dead_letters_consumer_idx" ON "rentals"."dead_letters" USING btree ("consumer","created_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "rentals"."outbox" USING btree ("seq") WHERE sent_at is null;--> statement-breakpoint
CREATE INDEX "rentals_renter_idx" ON "rentals"."rentals" USING btree ("renter_id","created_at");--> statement-breakpoint
CREATE INDEX "rentals_owner_idx" ON "rentals"."rentals" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "rentals_item_idx" ON "rentals"."rentals" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "rentals_unfinished_idx" ON "rentals"."rentals" USING btree ("lease_expires_at") WHERE status in ('requested', 'confirmed', 'compensating');--> statement-breakpoint
CREATE INDEX "two_phase_log_pending_idx" ON "rentals"."two_phase_log" USING btree ("created_at") WHERE state <> 'done';