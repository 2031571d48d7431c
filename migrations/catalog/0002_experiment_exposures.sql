CREATE TABLE "catalog"."experiment_exposures" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"flag" text NOT NULL,
	"variant" text NOT NULL,
	"exposed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "experiment_exposures_user_id_flag_pk" PRIMARY KEY("user_id","flag"),
	CONSTRAINT "experiment_exposures_id_unique" UNIQUE("id")
);
--> statement-breakpoint
-- Export cursor for the warehouse (shared/db/change-feed.ts): the id of the inserting
-- transaction. Rows are never updated, so no trigger. Not in db/schema.ts on purpose.
ALTER TABLE "catalog"."experiment_exposures" ADD COLUMN "change_xid" xid8 DEFAULT pg_current_xact_id() NOT NULL;
--> statement-breakpoint
CREATE INDEX "experiment_exposures_change_xid_idx" ON "catalog"."experiment_exposures" ("change_xid", "id");
