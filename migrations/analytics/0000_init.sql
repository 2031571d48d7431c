CREATE SCHEMA "analytics";
--> statement-breakpoint
CREATE TABLE "analytics"."etl_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"engine" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"lease_until" timestamp with time zone NOT NULL,
	"window_from" timestamp with time zone,
	"tables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"duration_ms" integer,
	"error" text,
	CONSTRAINT "etl_runs_status_check" CHECK ("analytics"."etl_runs"."status" in ('running', 'succeeded', 'failed', 'abandoned'))
);
--> statement-breakpoint
CREATE INDEX "etl_runs_started_idx" ON "analytics"."etl_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "etl_runs_running_idx" ON "analytics"."etl_runs" USING btree ("status") WHERE status = 'running';