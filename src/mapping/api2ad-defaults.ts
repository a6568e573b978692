import { ENTERPRISE_USER_URN as ENTERPRISE } from '../scim/types.js'
import { directMapping as direct, expressionMapping as expression, type JobSchema } from './job-schema.js'

/** A sAMAccountName candidate: letters of the names, without spaces or diacritics, lower case. */
const samCandidate = (givenNamePart: string): string =>
  `ToLower(NormalizeDiacritics(StripSpaces(Join("", ${givenNamePart}, [name.familyName]))))`

/**
 * The API2AD template's schema: Microsoft's published SCIM → on-premises AD worksheet
 * (reference mapping, entra.md §5.3), matching externalId ↔ employeeID. sAMAccountName is
 * generated once, on create: first initial + surname, then two initials, then the whole
 * given name; the directory makes candidates valid (≤ 20 characters, no refused
 * characters) and, when all are taken, numbers the first. parentDistinguishedName is not
 * mapped: users go to the directory's default OU until a mapping (a Switch on city, say)
 * places them.
 */
export const API2AD_DEFAULT_SCHEMA: JobSchema = {
  attributeMappings: [
    direct('externalId', 'employeeID', 1),
    direct('userName', 'userPrincipalName'),
    expression(`SelectUniqueValue(${samCandidate('Left([name.givenName], 1)')}, ${samCandidate('Left([name.givenName], 2)')}, ${samCandidate('[name.givenName]')})`, 'sAMAccountName', 'ObjectAddOnly'),
    expression('Not([active])', 'accountDisabled'),
    direct('displayName', 'cn'),
    direct('displayName', 'displayName'),
    direct('name.givenName', 'givenName'),
    direct('name.familyName', 'sn'),
    direct('title', 'title'),
    direct('emails[type eq "work"].value', 'mail'),
    direct('phoneNumbers[type eq "work"].value', 'telephoneNumber'),
    direct('phoneNumbers[type eq "mobile"].value', 'mobile'),
    direct('addresses[type eq "work"].streetAddress', 'streetAddress'),
    direct('addresses[type eq "work"].locality', 'l'),
    direct('addresses[type eq "work"].region', 'st'),
    direct('addresses[type eq "work"].postalCode', 'postalCode'),
    direct('addresses[type eq "work"].country', 'co'),
    direct('addresses[type eq "work"].formatted', 'physicalDeliveryOfficeName'),
    direct(`${ENTERPRISE}:department`, 'department'),
    direct(`${ENTERPRISE}:division`, 'division'),
    direct(`${ENTERPRISE}:organization`, 'company'),
    direct('userType', 'employeeType'),
    direct(`${ENTERPRISE}:manager.value`, 'manager')
  ],
  scope: null,
  extensionAttributes: []
}
