ALTER TABLE "inventory"."items" DROP CONSTRAINT "items_hold_check";--> statement-breakpoint
ALTER TABLE "inventory"."items" DROP CONSTRAINT "items_status_check";--> statement-breakpoint
ALTER TABLE "inventory"."items" ALTER COLUMN "status" SET DEFAULT 'listed';--> statement-breakpoint
ALTER TABLE "inventory"."items" DROP COLUMN "reservation_id";--> statement-breakpoint
-- Listing statuses: every item that was available, reserved or in use is listed (bookings are in the rentals calendar).
-- A status change, not an edit: versions, history and events stay as they were (history reads the old statuses as listed).
UPDATE "inventory"."items" SET "status" = 'listed' WHERE "status" in ('available', 'reserved', 'in_use');--> statement-breakpoint
ALTER TABLE "inventory"."items" ADD CONSTRAINT "items_status_check" CHECK ("inventory"."items"."status" in ('listed', 'unlisted', 'retired'));
