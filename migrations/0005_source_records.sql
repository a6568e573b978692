-- Where each user's last source record is: the request and operation that last sent it
-- (through which job). A full restart re-applies the job's current mappings to those records.
ALTER TABLE directory_users
  ADD COLUMN source_job_id text,
  ADD COLUMN source_request_id uuid,
  ADD COLUMN source_operation_index integer;

-- 'resync': a request the service made itself, re-applying mappings to users' last records.
ALTER TABLE bulk_requests ADD COLUMN origin text NOT NULL DEFAULT 'client' CHECK (origin IN ('client', 'resync'));
