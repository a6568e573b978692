-- The unique values lead their indexes. With directory_id first, the userPrincipalName and
-- mailNickname indexes (same predicate, same leading column) looked alike to the planner
-- whenever statistics were missing or stale, and it could probe one with the other's
-- lookup: a scan of the whole directory per key.
DROP INDEX directory_users_upn;
DROP INDEX directory_users_mail_nickname;
CREATE UNIQUE INDEX directory_users_upn ON directory_users (lower(user_principal_name), directory_id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX directory_users_mail_nickname ON directory_users (lower(mail_nickname), directory_id) WHERE deleted_at IS NULL;

-- Only reports still waiting for their manager belong in the index that finds them when the
-- manager arrives. Most users link at once; indexing every user's manager reference cost an
-- index write per user and kept an index the size of the directory for a handful of rows.
DROP INDEX directory_users_pending_manager;
CREATE INDEX directory_users_waiting_for_manager ON directory_users (directory_id, manager_external_id)
  WHERE manager_external_id IS NOT NULL AND manager_id IS NULL;
