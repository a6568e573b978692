-- A job's schema (attribute mappings, scoping filter, extension attributes). NULL: the
-- template's default schema. The version counts saves; workers cache compiled schemas by it.
ALTER TABLE sync_jobs
  ADD COLUMN schema jsonb,
  ADD COLUMN schema_version integer NOT NULL DEFAULT 1,
  ADD COLUMN schema_modified_at timestamptz;
