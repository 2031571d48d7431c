CREATE SCHEMA "inventory";
--> statement-breakpoint
CREATE TABLE "inventory"."items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"currency" text NOT NULL,
	"daily_price_amount" integer NOT NULL,
	"deposit_amount" integer NOT NULL,
	"condition" text NOT NULL,
	"status" text DEFAULT 'available' NOT NULL,
	"reservation_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_amounts_check" CHECK ("inventory"."items"."daily_price_amount" >= 0 and "inventory"."items"."deposit_amount" >= 0),
	CONSTRAINT "items_version_check" CHECK ("inventory"."items"."version" >= 1),
	CONSTRAINT "items_status_check" CHECK ("inventory"."items"."status" in ('available', 'reserved', 'in_use', 'retired')),
	CONSTRAINT "items_condition_check" CHECK ("inventory"."items"."condition" in ('new', 'like_new', 'good', 'fair', 'worn')),
	CONSTRAINT "items_hold_check" CHECK (("inventory"."items"."status" in ('reserved', 'in_use')) = ("inventory"."items"."reservation_id" is not null))
);
--> statement-breakpoint
CREATE INDEX "items_owner_idx" ON "inventory"."items" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "items_category_status_idx" ON "inventory"."items" USING btree ("category","status");--> statement-breakpoint
CREATE INDEX "items_created_at_idx" ON "inventory"."items" USING btree ("created_at","id");