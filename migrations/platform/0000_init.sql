CREATE SCHEMA "platform";
--> statement-breakpoint
CREATE TABLE "platform"."idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"response" jsonb,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "platform"."idempotency_keys" USING btree ("expires_at");