-- Items listed before history was kept get one 'baseline' row: their whole state at their
-- current version, so every item's history starts somewhere and replays to its current
-- state. Items that already have history are left alone (safe to run again).
INSERT INTO "inventory"."item_history" ("item_id", "version", "type", "actor_id", "data", "occurred_at")
SELECT i."id", i."version", 'baseline', NULL,
  jsonb_build_object(
    'ownerId', i."owner_id",
    'title', i."title",
    'description', i."description",
    'category', i."category",
    'dailyPrice', jsonb_build_object('amount', i."daily_price_amount", 'currency', i."currency"),
    'deposit', jsonb_build_object('amount', i."deposit_amount", 'currency', i."currency"),
    'condition', i."condition",
    'status', i."status",
    'reservationId', i."reservation_id",
    'createdAt', to_char(i."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  ),
  i."updated_at"
FROM "inventory"."items" i
WHERE NOT EXISTS (SELECT 1 FROM "inventory"."item_history" h WHERE h."item_id" = i."id");
