ALTER TABLE "catalog"."items" DROP CONSTRAINT "items_status_check";--> statement-breakpoint
UPDATE "catalog"."items" SET "status" = 'listed' WHERE "status" in ('available', 'reserved', 'in_use');--> statement-breakpoint
UPDATE "catalog"."items_rebuild" SET "status" = 'listed' WHERE "status" in ('available', 'reserved', 'in_use');--> statement-breakpoint
ALTER TABLE "catalog"."items" ADD CONSTRAINT "items_status_check" CHECK ("catalog"."items"."status" in ('listed', 'unlisted', 'retired'));
