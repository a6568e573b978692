import type { AttributeMappingDefinition, JobSchema, MappingTarget } from './job-schema.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

function direct (source: string, target: MappingTarget, matchingPriority = 0): AttributeMappingDefinition {
  return { targetAttributeName: target, source: { type: 'Attribute', name: source, expression: null }, mappingType: 'Direct', flowType: 'Always', defaultValue: null, matchingPriority }
}

function expression (text: string, target: MappingTarget): AttributeMappingDefinition {
  return { targetAttributeName: target, source: { type: 'Function', name: null, expression: text }, mappingType: 'Expression', flowType: 'Always', defaultValue: null, matchingPriority: 0 }
}

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
