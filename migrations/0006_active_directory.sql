-- On-premises Active Directory–shaped directories: one domain (domains[1]; its DN,
-- DC=contoso,DC=com, derives from it), organizational units, and users placed in them.

-- Where users go when no mapping gives a parentDistinguishedName.
ALTER TABLE directories ADD COLUMN default_ou text;

CREATE TABLE organizational_units (
  id                  uuid PRIMARY KEY,
  directory_id        uuid NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  -- Null: directly under the domain. RESTRICT: an OU holding OUs cannot be deleted.
  parent_id           uuid REFERENCES organizational_units(id) ON DELETE RESTRICT,
  -- The OU= value, unescaped.
  name                text NOT NULL,
  -- RFC 4514 string as the service writes it (canonical escaping, attribute types upper-case).
  distinguished_name  text NOT NULL,
  -- The same, lower-cased: AD compares DNs case-insensitively.
  dn_key              text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizational_units_dn ON organizational_units (directory_id, dn_key);
CREATE INDEX organizational_units_parent ON organizational_units (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE ad_users (
  -- objectGUID.
  id                      uuid PRIMARY KEY,
  directory_id            uuid NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  -- The parent OU; null: directly under the domain. RESTRICT: an OU holding users cannot be deleted.
  ou_id                   uuid REFERENCES organizational_units(id) ON DELETE RESTRICT,
  cn                      text NOT NULL,
  sam_account_name        text NOT NULL,
  user_principal_name     text,
  employee_id             text,
  account_disabled        boolean NOT NULL DEFAULT false,
  -- Every other AD attribute the mappings write (givenName, sn, title, l, extensionAttribute1 …),
  -- by its LDAP name; none is searched inside.
  attributes              jsonb NOT NULL DEFAULT '{}',
  manager_id              uuid,
  -- The manager's externalId as the source sent it; set with manager_id null while the
  -- manager has not arrived (a pending reference).
  manager_external_id     text,
  created_by_job_id       text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  last_modified_at        timestamptz NOT NULL DEFAULT now(),
  source_job_id           text,
  source_request_id       uuid,
  source_operation_index  integer
);
CREATE UNIQUE INDEX ad_users_employee_id ON ad_users (directory_id, employee_id);
-- cn is unique within its OU (the DN is unique); NULLS NOT DISTINCT so the domain root counts as one container.
CREATE UNIQUE INDEX ad_users_rdn ON ad_users (directory_id, ou_id, lower(cn)) NULLS NOT DISTINCT;
-- text_pattern_ops: numbered names (jsmith, jsmith1, jsmith2 …) are found by prefix when one is generated.
CREATE UNIQUE INDEX ad_users_sam_account_name ON ad_users (lower(sam_account_name) text_pattern_ops, directory_id);
CREATE UNIQUE INDEX ad_users_upn ON ad_users (lower(user_principal_name), directory_id);
CREATE INDEX ad_users_ou ON ad_users (ou_id) WHERE ou_id IS NOT NULL;
-- A directory's users in objectGUID order: listing pages and the LDIF export walk it.
CREATE INDEX ad_users_directory ON ad_users (directory_id, id);
CREATE INDEX ad_users_manager ON ad_users (manager_id) WHERE manager_id IS NOT NULL;
CREATE INDEX ad_users_waiting_for_manager ON ad_users (directory_id, manager_external_id)
  WHERE manager_external_id IS NOT NULL AND manager_id IS NULL;
