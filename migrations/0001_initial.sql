-- Directories, provisioning apps and jobs, accepted bulk requests, the entra-shaped user
-- store and the provisioning log. PostgreSQL is the source of truth; the queue only points
-- at rows of bulk_requests.

CREATE TABLE directories (
  id            uuid PRIMARY KEY,
  display_name  text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('entra', 'ad')),
  -- Verified domains; the first is the default domain.
  domains       text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_principals (
  id            uuid PRIMARY KEY,
  display_name  text NOT NULL,
  template_id   text NOT NULL,
  directory_id  uuid NOT NULL REFERENCES directories(id),
  -- Client ids (azp/appid/sub) allowed to upload with SynchronizationData-User.Upload.OwnedBy.
  owners        text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_jobs (
  -- Graph-style id: <templateId>.<32 hex>.<uuid>
  id                    text PRIMARY KEY,
  service_principal_id  uuid NOT NULL REFERENCES service_principals(id) ON DELETE CASCADE,
  template_id           text NOT NULL,
  directory_id          uuid NOT NULL REFERENCES directories(id),
  status_code           text NOT NULL DEFAULT 'NotRun'
                        CHECK (status_code IN ('NotConfigured', 'NotRun', 'Active', 'Paused', 'Quarantine')),
  settings              jsonb NOT NULL DEFAULT '{}',
  current_cycle_id      uuid,
  -- Set when the queue ran dry; the next request processed begins a new cycle.
  cycle_ended_at        timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_jobs_service_principal ON sync_jobs (service_principal_id);

CREATE TABLE bulk_requests (
  id                uuid PRIMARY KEY,
  job_id            text NOT NULL REFERENCES sync_jobs(id) ON DELETE CASCADE,
  -- Acceptance order; records of one job are applied in this order.
  sequence          bigint GENERATED ALWAYS AS IDENTITY,
  state             text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'processing', 'completed', 'purged')),
  -- The body exactly as received; stored uncompressed because it is read once and
  -- compressing tens of kilobytes per request costs more CPU than it saves.
  payload           text NOT NULL,
  operation_count   integer NOT NULL,
  client_id         text,
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  cycle_id          uuid,
  received_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at        timestamptz,
  completed_at      timestamptz
);
ALTER TABLE bulk_requests ALTER COLUMN payload SET STORAGE EXTERNAL;
CREATE INDEX bulk_requests_pending ON bulk_requests (job_id, sequence) WHERE state IN ('queued', 'processing');

CREATE TABLE directory_users (
  id                    uuid PRIMARY KEY,
  directory_id          uuid NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  employee_id           text,
  user_principal_name   text,
  mail_nickname         text,
  display_name          text,
  given_name            text,
  surname               text,
  mail                  text,
  account_enabled       boolean NOT NULL DEFAULT true,
  job_title             text,
  department            text,
  company_name          text,
  city                  text,
  state                 text,
  country               text,
  street_address        text,
  postal_code           text,
  mobile_phone          text,
  business_phones       text[] NOT NULL DEFAULT '{}',
  employee_type         text,
  manager_id            uuid,
  -- The manager's externalId as the source sent it; a user whose manager has not arrived
  -- yet has this set and manager_id null until the manager is provisioned.
  manager_external_id   text,
  created_by_job_id     text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  last_modified_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at            timestamptz
);
CREATE UNIQUE INDEX directory_users_employee_id ON directory_users (directory_id, employee_id);
CREATE UNIQUE INDEX directory_users_upn ON directory_users (directory_id, lower(user_principal_name)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX directory_users_mail_nickname ON directory_users (directory_id, lower(mail_nickname)) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_pending_manager ON directory_users (directory_id, manager_external_id) WHERE manager_external_id IS NOT NULL;
CREATE INDEX directory_users_manager ON directory_users (manager_id) WHERE manager_id IS NOT NULL;
-- Statistics on the case-folded unique values: without them PostgreSQL guesses that a
-- lookup of 50 userPrincipalNames matches a quarter of the directory and scans all of it.
CREATE STATISTICS directory_users_upn_lower ON (lower(user_principal_name)) FROM directory_users;
CREATE STATISTICS directory_users_nickname_lower ON (lower(mail_nickname)) FROM directory_users;

CREATE TABLE provisioning_logs (
  id                  uuid PRIMARY KEY,
  -- One row per processed operation (request_id, operation_index); reference-resolution
  -- rows written later for a report use operation_index -1 and the report's id.
  -- No foreign key: the log is an audit record that outlives request housekeeping, and a
  -- per-row key check would cost more than the insert itself.
  request_id          uuid NOT NULL,
  operation_index     integer NOT NULL,
  target_user_id      uuid,
  job_id              text NOT NULL,
  cycle_id            uuid NOT NULL,
  change_id           uuid NOT NULL,
  activity_at         timestamptz NOT NULL,
  duration_ms         integer NOT NULL DEFAULT 0,
  action              text NOT NULL,
  status              text NOT NULL,
  error_code          text,
  reason              text,
  bulk_id             text,
  method              text,
  source_id           text,
  source_display_name text,
  target_id           uuid,
  target_display_name text,
  -- json, not jsonb: written once per operation, read back whole, never queried inside.
  modified_properties json NOT NULL DEFAULT '[]',
  steps               json NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX provisioning_logs_operation ON provisioning_logs (request_id, operation_index, coalesce(target_user_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE INDEX provisioning_logs_job_time ON provisioning_logs (job_id, activity_at DESC, id);
