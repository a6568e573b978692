import { userDistinguishedName } from './distinguished-name.js'
import { AD_TEXT_ATTRIBUTES, userAccountControl } from './user.js'
import type { AdUserWithManager } from './users-repository.js'

/**
 * An AD user as the API returns it: LDAP attribute names, objectGUID as its id, its DN and
 * its manager's DN derived from where they are now (so a moved manager's reports show the
 * new DN), userAccountControl as AD computes it.
 */
export function toAdUserResource (user: AdUserWithManager): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    objectGUID: user.id,
    distinguishedName: userDistinguishedName(user.cn!, user.parentDistinguishedName!),
    parentDistinguishedName: user.parentDistinguishedName,
    cn: user.cn,
    sAMAccountName: user.sAMAccountName,
    userPrincipalName: user.userPrincipalName,
    employeeID: user.employeeID,
    userAccountControl: userAccountControl(user.accountDisabled),
    accountDisabled: user.accountDisabled,
    manager: user.managerDistinguishedName
  }
  for (const attribute of AD_TEXT_ATTRIBUTES) resource[attribute] = user[attribute]
  resource.accountExpires = user.accountExpires
  resource.whenCreated = user.createdAt.toISOString()
  resource.whenChanged = user.lastModifiedAt.toISOString()
  return resource
}

/** The response schema of an AD user (registered as `AdUser`). */
export const AD_USER_SCHEMA = {
  $id: 'AdUser',
  type: 'object',
  description: 'A user of an ad directory, with AD attribute names. `manager` is the manager\'s DN.',
  required: ['objectGUID', 'distinguishedName', 'parentDistinguishedName', 'cn', 'sAMAccountName', 'userPrincipalName', 'employeeID', 'userAccountControl', 'accountDisabled', 'manager', 'whenCreated', 'whenChanged'],
  properties: {
    objectGUID: { type: 'string', format: 'uuid' },
    distinguishedName: { type: 'string', description: 'RFC 4514: `CN=<cn>,<parentDistinguishedName>`.' },
    parentDistinguishedName: { type: 'string', description: 'The OU (or the domain) the user is in.' },
    cn: { type: 'string' },
    sAMAccountName: { type: 'string', maxLength: 20 },
    userPrincipalName: { type: ['string', 'null'] },
    employeeID: { type: ['string', 'null'] },
    userAccountControl: { type: 'integer', enum: [512, 514], description: '512: a normal enabled account; 514: disabled.' },
    accountDisabled: { type: 'boolean' },
    manager: { type: ['string', 'null'], description: 'The manager\'s DN.' },
    ...Object.fromEntries(AD_TEXT_ATTRIBUTES.map(attribute => [attribute, { type: ['string', 'null'] }])),
    accountExpires: { type: ['string', 'null'], description: 'A Windows file time (100-ns intervals since 1601-01-01), as NumFromDate gives it.' },
    whenCreated: { type: 'string', format: 'date-time' },
    whenChanged: { type: 'string', format: 'date-time' }
  }
} as const
