-- Job lifecycle: quarantine, processing cycles and their counts, staged deletes,
-- notifications (an outbox delivered by SMTP) and the audit of administrative actions.

-- Set while the job is quarantined: {reason, errorCode, message, currentBegan, seriesCount}.
-- Kept through a pause, so a paused quarantined job still says why it was quarantined.
ALTER TABLE sync_jobs ADD COLUMN quarantine jsonb;

-- One row per processing cycle: a cycle begins with the first request after the job's queue
-- ran dry (or after a start or restart) and ends when the queue is empty again.
CREATE TABLE sync_cycles (
  id          uuid PRIMARY KEY,
  job_id      text NOT NULL REFERENCES sync_jobs(id) ON DELETE CASCADE,
  began_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at    timestamptz,
  -- Deletes and disables applied in this cycle (the delete threshold counts these) and the
  -- operations evaluated and failed since escrows were last reset (the failure threshold).
  deletes     integer NOT NULL DEFAULT 0,
  evaluated   integer NOT NULL DEFAULT 0,
  failures    integer NOT NULL DEFAULT 0
);
CREATE INDEX sync_cycles_job ON sync_cycles (job_id, began_at DESC);

-- Operations per action × status in each cycle; each batch adds its counts in one statement.
CREATE TABLE sync_cycle_counts (
  cycle_id    uuid NOT NULL REFERENCES sync_cycles(id) ON DELETE CASCADE,
  action      text NOT NULL,
  status      text NOT NULL,
  count       bigint NOT NULL,
  PRIMARY KEY (cycle_id, action, status)
);

-- Deletes and disables held back by the delete threshold; applied by a restart with
-- ForceDeletes, discarded by any other restart.
CREATE TABLE staged_operations (
  id              uuid PRIMARY KEY,
  job_id          text NOT NULL REFERENCES sync_jobs(id) ON DELETE CASCADE,
  request_id      uuid NOT NULL,
  operation_index integer NOT NULL,
  user_id         uuid NOT NULL,
  action          text NOT NULL CHECK (action IN ('delete', 'disable')),
  staged_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  resolved_at     timestamptz,
  resolution      text CHECK (resolution IN ('applied', 'discarded', 'superseded'))
);
CREATE INDEX staged_operations_open ON staged_operations (job_id, staged_at) WHERE resolved_at IS NULL;

-- Outbox: a notification is committed with the change that caused it and delivered later,
-- with retries; without SMTP it stays here, readable through the API.
CREATE TABLE notifications (
  id              uuid PRIMARY KEY,
  job_id          text NOT NULL REFERENCES sync_jobs(id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('quarantine', 'failureDigest')),
  -- Once per cause: a second notification with the same key is not created.
  dedupe_key      text NOT NULL UNIQUE,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at         timestamptz,
  last_error      text
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX notifications_job ON notifications (job_id, created_at DESC, id);

-- Who did what to which app or job, when, and with what result.
CREATE TABLE directory_audits (
  id                  uuid PRIMARY KEY,
  activity_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  category            text NOT NULL,
  activity            text NOT NULL,
  operation_type      text NOT NULL,
  initiated_by        text,
  target_type         text NOT NULL,
  target_id           text NOT NULL,
  target_display_name text,
  job_id              text,
  result              text NOT NULL CHECK (result IN ('success', 'failure')),
  result_reason       text,
  modified_properties json NOT NULL DEFAULT '[]',
  additional_details  json NOT NULL DEFAULT '[]'
);
CREATE INDEX directory_audits_time ON directory_audits (activity_at DESC, id DESC);
CREATE INDEX directory_audits_job ON directory_audits (job_id, activity_at DESC, id DESC) WHERE job_id IS NOT NULL;
-- Per-job request accounting (statistics): accepted = completed + purged + waiting.
CREATE INDEX bulk_requests_job_state ON bulk_requests (job_id, state);
