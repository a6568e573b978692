-- Indexes for GET /auditLogs/provisioning: pages ordered by (activity_at, id), newest or
-- oldest first, with $filter conditions on the job, the status and the source identity,
-- and for the retention that deletes the oldest entries.
-- Built in this migration's transaction: writes to provisioning_logs wait while they build
-- (seconds for a million rows).

-- The job's entries in time order. It had id ascending under a descending time, so a page
-- ordered by (activity_at, id) in one direction needed a sort of every entry sharing the last
-- batch's time (up to 500); with both ascending a forward or backward scan reads either
-- order directly. The job backlog's drain rate and the failure digest read it the same way.
DROP INDEX provisioning_logs_job_time;
CREATE INDEX provisioning_logs_job_time ON provisioning_logs (job_id, activity_at, id);

-- A job's failures (or skips, or warnings) in a time range: without the status in the key, a
-- page of a rare status would read every entry of the job in the range to find its rows.
-- Successes, the bulk of most feeds and the one status that is never rare, are left out: a
-- page of them reads provisioning_logs_job_time, where nearly every entry qualifies, and the
-- index costs ingest a write only for entries that did not succeed. (The planner uses it
-- when the query's status is known not to be 'success'; the pg driver's unnamed statements
-- are planned with their parameter values, so it is.)
CREATE INDEX provisioning_logs_job_status_time ON provisioning_logs (job_id, status, activity_at, id) WHERE status <> 'success';

-- "What happened to employee 701984": Microsoft's documented way to check a record is
-- sourceIdentity/id eq '<externalId>'. An externalId appears in few jobs, so the job is not
-- part of the key, which keeps the index small (source ids are short, job ids 77 characters).
CREATE INDEX provisioning_logs_source_time ON provisioning_logs (source_id, activity_at, id);

-- All jobs' entries in time order: the list without a filter (what a client asks first), a
-- filter that names no job (a status, a cycle, an error code), and retention, which deletes
-- the oldest entries first. Small: no text in the key.
CREATE INDEX provisioning_logs_time ON provisioning_logs (activity_at, id);
