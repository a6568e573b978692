-- A log entry's modified properties and steps are JSON text the worker makes; they are now
-- stored as text. As json, PostgreSQL checked every value's syntax on insert: for a bulk load
-- that check cost more than writing the rows themselves (a thousand entries carry about a
-- megabyte of it). Nothing else writes these columns, and readers parse them as before.
ALTER TABLE provisioning_logs
  ALTER COLUMN modified_properties DROP DEFAULT,
  ALTER COLUMN steps DROP DEFAULT;
ALTER TABLE provisioning_logs
  ALTER COLUMN modified_properties TYPE text,
  ALTER COLUMN steps TYPE text;
ALTER TABLE provisioning_logs
  ALTER COLUMN modified_properties SET DEFAULT '[]',
  ALTER COLUMN steps SET DEFAULT '[]';
