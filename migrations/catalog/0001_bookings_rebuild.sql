CREATE TABLE "catalog"."bookings_rebuild" (
	"rental_id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"period" "tstzrange" NOT NULL,
	"state" text NOT NULL,
	"changed_at" timestamp (3) with time zone NOT NULL
);
