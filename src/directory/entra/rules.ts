import type { EntraAttributeValues } from './user.js'

export interface RuleViolation {
  errorCode: 'InvalidDomain' | 'AzureActiveDirectoryInvalidUserPrincipalName' | 'MandatoryFieldsMissing' | 'InvalidAttributeSyntax'
  reason: string
}

/** What Entra needs to create a user; a missing one fails the create, not the request. */
export const REQUIRED_ON_CREATE = ['userPrincipalName', 'mailNickname', 'displayName'] as const

// Entra's UPN local part: letters, digits and . - _ ! # ^ ~ ' (no leading/trailing dot, ≤ 64).
const UPN_LOCAL_PART = /^(?!\.)[A-Za-z0-9._!#^~'-]{1,64}(?<!\.)$/

export function checkUserPrincipalName (upn: string, verifiedDomains: string[]): RuleViolation | undefined {
  const at = upn.lastIndexOf('@')
  if (at < 0) {
    return { errorCode: 'InvalidDomain', reason: `userPrincipalName '${upn}' has no domain; it must read local@domain with a verified domain of the directory (${verifiedDomains.join(', ')}).` }
  }
  const domain = upn.slice(at + 1).toLowerCase()
  if (!verifiedDomains.includes(domain)) {
    return { errorCode: 'InvalidDomain', reason: `The domain '${domain}' of userPrincipalName '${upn}' does not exist among the directory's verified domains (${verifiedDomains.join(', ')}).` }
  }
  if (!UPN_LOCAL_PART.test(upn.slice(0, at))) {
    return { errorCode: 'AzureActiveDirectoryInvalidUserPrincipalName', reason: `userPrincipalName '${upn}' has characters Entra does not allow before the @ (letters, digits and . - _ ! # ^ ~ ' only, no leading or trailing dot, at most 64).` }
  }
  return undefined
}

export function missingOnCreate (values: Partial<EntraAttributeValues>): string[] {
  return REQUIRED_ON_CREATE.filter(name => values[name] === undefined || values[name] === null || values[name] === '')
}
