import { DistinguishedNameError, distinguishedNameKey, formatDistinguishedName, parseDistinguishedName } from './distinguished-name.js'

/** Active Directory's upper bound for the `ou` attribute. */
export const OU_NAME_MAX_LENGTH = 64

export type OrganizationalUnitDnCheck =
  | { ok: true, distinguishedName: string }
  | { ok: false, problem: string, position?: number }

/**
 * Whether `dn` can name an organizational unit of the domain `domainDn`: it parses, lies
 * below the domain, and every RDN between it and the domain is an `OU=` (only OUs can be
 * created, so nothing else can hold one). On success, the DN in canonical form with the
 * domain part spelled as the domain's DN.
 */
export function checkOrganizationalUnitDn (dn: string, domainDn: string): OrganizationalUnitDnCheck {
  let rdns
  try {
    rdns = parseDistinguishedName(dn)
  } catch (err) {
    if (err instanceof DistinguishedNameError) return { ok: false, problem: `is not a distinguished name: ${err.message} (character ${err.position})`, position: err.position }
    throw err
  }
  const domainRdns = parseDistinguishedName(domainDn)
  const below = rdns.length - domainRdns.length
  if (below <= 0 || distinguishedNameKey(rdns.slice(below)) !== distinguishedNameKey(domainRdns)) {
    return { ok: false, problem: `${formatDistinguishedName(rdns) || "''"} does not lie under the domain ${domainDn}` }
  }
  const ous = rdns.slice(0, below)
  const notOu = ous.find(rdn => rdn.type !== 'OU')
  if (notOu !== undefined) {
    return { ok: false, problem: `${formatDistinguishedName([notOu])} is not an organizational unit: the DN and each container above it, up to ${domainDn}, must be OU=…` }
  }
  const long = ous.find(rdn => Array.from(rdn.value).length > OU_NAME_MAX_LENGTH)
  if (long !== undefined) return { ok: false, problem: `the OU name '${long.value}' is longer than ${OU_NAME_MAX_LENGTH} characters` }
  return { ok: true, distinguishedName: formatDistinguishedName([...ous, ...domainRdns]) }
}
