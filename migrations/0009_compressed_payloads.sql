-- Request bodies are compressed with lz4 where the server has it. Stored as they came, a
-- 50-user body (about 60 KB) took some thirty TOAST pages' worth of chunks, and writing those
-- chunks was half of PostgreSQL's work in accepting a request. JSON shrinks several fold
-- under lz4, at a cost far below the writes it saves, and reads back at memory speed. A server
-- built without lz4 keeps storing bodies uncompressed: its pglz costs more than it saves.
DO $$
BEGIN
  ALTER TABLE bulk_requests ALTER COLUMN payload SET COMPRESSION lz4;
  ALTER TABLE bulk_requests ALTER COLUMN payload SET STORAGE EXTENDED;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
