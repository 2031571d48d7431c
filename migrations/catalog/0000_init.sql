CREATE SCHEMA "catalog";
--> statement-breakpoint
CREATE TABLE "catalog"."bookings" (
	"rental_id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"period" "tstzrange" NOT NULL,
	"state" text NOT NULL,
	"changed_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "bookings_state_check" CHECK ("catalog"."bookings"."state" in ('confirmed', 'completed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "catalog"."dead_letters" (
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
CREATE TABLE "catalog"."inbox" (
	"consumer" text NOT NULL,
	"message_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "catalog"."items" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"owner_name" text,
	"title" text,
	"title_version" integer DEFAULT 0 NOT NULL,
	"description" text,
	"description_version" integer DEFAULT 0 NOT NULL,
	"category" text,
	"category_version" integer DEFAULT 0 NOT NULL,
	"daily_price_amount" integer,
	"daily_price_currency" text,
	"daily_price_version" integer DEFAULT 0 NOT NULL,
	"deposit_amount" integer,
	"deposit_currency" text,
	"deposit_version" integer DEFAULT 0 NOT NULL,
	"condition" text,
	"condition_version" integer DEFAULT 0 NOT NULL,
	"status" text,
	"status_version" integer DEFAULT 0 NOT NULL,
	"version" integer NOT NULL,
	"listed_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('english'::regconfig, replace(coalesce(category, ''), '-', ' ')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')) STORED,
	CONSTRAINT "items_status_check" CHECK ("catalog"."items"."status" in ('available', 'reserved', 'in_use', 'retired'))
);
--> statement-breakpoint
CREATE TABLE "catalog"."items_rebuild" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"owner_name" text,
	"title" text,
	"title_version" integer DEFAULT 0 NOT NULL,
	"description" text,
	"description_version" integer DEFAULT 0 NOT NULL,
	"category" text,
	"category_version" integer DEFAULT 0 NOT NULL,
	"daily_price_amount" integer,
	"daily_price_currency" text,
	"daily_price_version" integer DEFAULT 0 NOT NULL,
	"deposit_amount" integer,
	"deposit_currency" text,
	"deposit_version" integer DEFAULT 0 NOT NULL,
	"condition" text,
	"condition_version" integer DEFAULT 0 NOT NULL,
	"status" text,
	"status_version" integer DEFAULT 0 NOT NULL,
	"version" integer NOT NULL,
	"listed_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."outbox" (
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
CREATE TABLE "catalog"."owners" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"display_name" text,
	"changed_at" timestamp (3) with time zone NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."owners_rebuild" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"display_name" text,
	"changed_at" timestamp (3) with time zone NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog"."projection" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"generation" bigint DEFAULT 0 NOT NULL,
	"last_event_at" timestamp (3) with time zone,
	"rebuild_id" uuid,
	"rebuild_lease_until" timestamp with time zone,
	"rebuild_started_at" timestamp (3) with time zone,
	"rebuild_progress" jsonb,
	"last_rebuild" jsonb,
	CONSTRAINT "projection_single_row_check" CHECK ("catalog"."projection"."id" = 1)
);
--> statement-breakpoint
CREATE INDEX "bookings_item_idx" ON "catalog"."bookings" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "bookings_period_idx" ON "catalog"."bookings" USING gist ("period");--> statement-breakpoint
CREATE INDEX "dead_letters_consumer_idx" ON "catalog"."dead_letters" USING btree ("consumer","created_at");--> statement-breakpoint
CREATE INDEX "items_search_idx" ON "catalog"."items" USING gin ("search");--> statement-breakpoint
CREATE INDEX "items_listed_idx" ON "catalog"."items" USING btree ("listed_at","item_id");--> statement-breakpoint
CREATE INDEX "items_price_idx" ON "catalog"."items" USING btree ("daily_price_amount","item_id");--> statement-breakpoint
CREATE INDEX "items_category_idx" ON "catalog"."items" USING btree ("category");--> statement-breakpoint
CREATE INDEX "items_owner_idx" ON "catalog"."items" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "catalog"."outbox" USING btree ("seq") WHERE sent_at is null;--> statement-breakpoint
INSERT INTO "catalog"."projection" ("id") VALUES (1) ON CONFLICT DO NOTHING;