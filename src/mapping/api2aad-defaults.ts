import { ENTERPRISE_USER_URN as ENTERPRISE } from '../scim/types.js'
import { directMapping as direct, expressionMapping as expression, type JobSchema } from './job-schema.js'

/**
 * The API2AAD template's schema: SCIM core and enterprise user attributes onto the entra
 * directory's, matching externalId ↔ employeeId (Microsoft publishes no export of the
 * template; this follows its documented facts and recommended mapping).
 */
export const API2AAD_DEFAULT_SCHEMA: JobSchema = {
  attributeMappings: [
    direct('externalId', 'employeeId', 1),
    direct('userName', 'userPrincipalName'),
    // The part of userName before the @.
    expression('Item(Split([userName], "@"), 1)', 'mailNickname'),
    direct('active', 'accountEnabled'),
    direct('displayName', 'displayName'),
    direct('name.givenName', 'givenName'),
    direct('name.familyName', 'surname'),
    direct('title', 'jobTitle'),
    direct('emails[type eq "work"].value', 'mail'),
    direct('phoneNumbers[type eq "work"].value', 'businessPhones'),
    direct('phoneNumbers[type eq "mobile"].value', 'mobilePhone'),
    direct('addresses[type eq "work"].streetAddress', 'streetAddress'),
    direct('addresses[type eq "work"].locality', 'city'),
    direct('addresses[type eq "work"].region', 'state'),
    direct('addresses[type eq "work"].postalCode', 'postalCode'),
    direct('addresses[type eq "work"].country', 'country'),
    direct(`${ENTERPRISE}:department`, 'department'),
    direct(`${ENTERPRISE}:organization`, 'companyName'),
    direct('userType', 'employeeType'),
    direct(`${ENTERPRISE}:manager.value`, 'manager')
  ],
  scope: null,
  extensionAttributes: []
}
