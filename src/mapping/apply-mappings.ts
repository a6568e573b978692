import type { EntraAttributeName, EntraAttributeValues } from '../directory/entra/user.js'
import { ExpressionError } from '../expressions/syntax.js'
import { text, truth, values, type Value } from '../expressions/values.js'
import type { CompiledSchema, MappingContext } from './compiled-schema.js'
import { checkExtensionData } from './extension-data.js'

export type MatchableAttribute = 'employeeId' | 'userPrincipalName' | 'mailNickname'

export interface MappedUser {
  /** Values of mappings that flow Always: written on create and on update. */
  attributes: Partial<EntraAttributeValues>
  /** Values written only when the user is created: ObjectAddOnly mappings and defaults for a source with no value. */
  onCreate: Partial<EntraAttributeValues>
  /** None mappings' defaults: written whenever the target is empty. */
  whenEmpty: Partial<EntraAttributeValues>
  /** The values to match a user by, in matching precedence. */
  matchKeys: Array<{ attribute: MatchableAttribute, value: string }>
  /** The manager's externalId (bulkId references already resolved), absent when the source sent none. */
  managerExternalId?: string
  /** SelectUniqueValue mappings: the first candidate no other user holds is written (on create only when add-only). */
  unique: Array<{ target: 'userPrincipalName' | 'mailNickname', candidates: string[], onCreateOnly: boolean }>
  /** Targets whose values came through Redact: the log shows them hidden. */
  redacted: EntraAttributeName[]
  /** Out of the job's scoping filter: not provisioned (and disabled if provisioned before). */
  outOfScope: boolean
  /** Custom extension attributes sent but not declared in the job's schema: accepted, not mapped, logged. */
  ignoredAttributes: string[]
  /** A mapping that could not be evaluated, or a declared attribute of the wrong type: the operation fails with this. */
  error?: { errorCode: 'ExpressionEvaluationFailed' | 'InvalidExtensionAttributeValue', target: string, reason: string }
}

/**
 * Applies a job's attribute mappings to one normalized SCIM user. A null or empty result
 * leaves the target as it is (Entra without "Flow null values"); the default value then
 * applies, on create only. `resolveBulkId` turns a `bulkId:<id>` manager reference into the
 * externalId of that operation.
 */
export function applyMappings (user: Record<string, unknown>, schema: CompiledSchema, context: MappingContext, resolveBulkId: (bulkId: string) => string | undefined): MappedUser {
  const extensionData = checkExtensionData(user, schema.extensions)
  const mapped: MappedUser = {
    attributes: {}, onCreate: {}, whenEmpty: {}, matchKeys: [], unique: [], redacted: [], ignoredAttributes: extensionData.ignored,
    outOfScope: schema.inScope !== null && !schema.inScope(user)
  }
  if (extensionData.invalid !== undefined) mapped.error = { errorCode: 'InvalidExtensionAttributeValue', target: extensionData.invalid.attribute, reason: extensionData.invalid.reason }
  const flowing = new Map<string, Value>()
  for (const mapping of schema.mappings) {
    let result
    try {
      result = mapping.produce(user, context)
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      mapped.error ??= { errorCode: 'ExpressionEvaluationFailed', target: mapping.target, reason: `the mapping of ${mapping.target} could not be evaluated, ${err.message}` }
      continue
    }
    if (result?.candidates !== undefined) {
      mapped.unique.push({ target: mapping.target as 'userPrincipalName' | 'mailNickname', candidates: result.candidates, onCreateOnly: mapping.flowType === 'ObjectAddOnly' })
      continue
    }
    const value = result === undefined || isEmpty(result.value) ? null : result.value
    if (mapping.target === 'manager') {
      const manager = value === null ? null : text(value)
      if (manager !== null) mapped.managerExternalId = manager.startsWith('bulkId:') ? resolveBulkId(manager.slice('bulkId:'.length)) : manager
      continue
    }
    const target = mapping.target
    if (value !== null) flowing.set(target, value)
    const converted = value === null ? undefined : toTarget(target, value)
    if (converted instanceof Error) { mapped.error ??= { errorCode: 'ExpressionEvaluationFailed', target, reason: converted.message }; continue }
    if (result?.redacted === true) mapped.redacted.push(target)
    if (mapping.mappingType === 'None') {
      if (mapping.defaultValue !== null) assign(mapped.whenEmpty, target, toTarget(target, mapping.defaultValue))
    } else if (converted !== undefined) {
      assign(mapping.flowType === 'ObjectAddOnly' ? mapped.onCreate : mapped.attributes, target, converted)
    } else if (mapping.defaultValue !== null) {
      assign(mapped.onCreate, target, toTarget(target, mapping.defaultValue))
    }
  }
  for (const target of schema.matching) {
    const value = flowing.get(target)
    const key = value === undefined ? null : text(value)
    if (key !== null && key !== '') mapped.matchKeys.push({ attribute: target as MatchableAttribute, value: key })
  }
  return mapped
}

function isEmpty (value: Value): boolean {
  return value === null || value === '' || (Array.isArray(value) && value.length === 0)
}

function assign (into: Partial<EntraAttributeValues>, target: EntraAttributeName, value: unknown): void {
  if (value !== undefined && !(value instanceof Error)) (into as Record<string, unknown>)[target] = value
}

/** A value in the target attribute's type: accountEnabled is a boolean, businessPhones a list, the rest text. */
function toTarget (target: EntraAttributeName, value: Value): unknown {
  if (target === 'accountEnabled') {
    const enabled = truth(value)
    return enabled ?? new Error(`accountEnabled takes True or False, not ${JSON.stringify(text(value))}`)
  }
  if (target === 'businessPhones') return values(value)
  return text(value)
}
