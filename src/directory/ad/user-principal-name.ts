import type { RuleViolation } from '../entra/rules.js'

// AD takes far more than Entra before the @ (non-ASCII letters included); it refuses
// whitespace, control characters and the characters that delimit addresses.
const AD_UPN_LOCAL_PART = /^[^\s\p{Cc}"(),:;<>@[\\\]]{1,64}$/u

/** An AD userPrincipalName is `local@<the directory's domain>`; its local part as AD allows it. */
export function checkAdUserPrincipalName (upn: string, domain: string): RuleViolation | undefined {
  const at = upn.lastIndexOf('@')
  if (at < 0) return { errorCode: 'InvalidDomain', reason: `userPrincipalName '${upn}' has no domain; it must read local@${domain}.` }
  const suffix = upn.slice(at + 1).toLowerCase()
  if (suffix !== domain) return { errorCode: 'InvalidDomain', reason: `The UPN suffix '${suffix}' of userPrincipalName '${upn}' is not the directory's domain (${domain}).` }
  if (!AD_UPN_LOCAL_PART.test(upn.slice(0, at))) {
    return { errorCode: 'InvalidAttributeSyntax', reason: `userPrincipalName '${upn}': the part before the @ must be 1 to 64 characters without spaces, control characters or "(),:;<>@[\\].` }
  }
  return undefined
}
