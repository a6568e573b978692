import type { EntraAttributeValues } from '../directory/entra/user.js'
import { ExpressionError } from '../expressions/syntax.js'
import { text, type Value } from '../expressions/values.js'
import type { CompiledSchema, MappingContext } from './compiled-schema.js'
import { checkExtensionData } from './extension-data.js'
import { ENTERPRISE_USER_URN } from '../scim/types.js'

export type MatchableAttribute = 'employeeId' | 'userPrincipalName' | 'mailNickname'

/**
 * A source user mapped onto a directory's attributes. Typed by default for the entra
 * directory; the ad directory reads it with its own attribute types (see the ad applier).
 */
export interface MappedUser<Values = Partial<EntraAttributeValues>, Matchable extends string = MatchableAttribute, Unique extends string = 'userPrincipalName' | 'mailNickname'> {
  /** Values of mappings that flow Always: written on create and on update. */
  attributes: Values
  /** Values written only when the user is created: ObjectAddOnly mappings and defaults for a source with no value. */
  onCreate: Values
  /** None mappings' defaults: written whenever the target is empty. */
  whenEmpty: Values
  /** The values to match a user by, in matching precedence. */
  matchKeys: Array<{ attribute: Matchable, value: string }>
  /**
   * The manager's externalId (bulkId references already resolved); null when the record
   * sends a manager without a value (the manager was removed: the link is cleared); absent
   * when the record leaves the manager out, or no mapping writes it.
   */
  managerExternalId?: string | null
  /** SelectUniqueValue mappings: the first candidate no other user holds is written (on create only when add-only). */
  unique: Array<{ target: Unique, candidates: string[], onCreateOnly: boolean }>
  /** Targets whose values came through Redact: the log shows them hidden. */
  redacted: string[]
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
      mapped.unique.push({ target: mapping.target as 'userPrincipalName', candidates: result.candidates, onCreateOnly: mapping.flowType === 'ObjectAddOnly' })
      continue
    }
    const value = result === undefined || isEmpty(result.value) ? null : result.value
    if (mapping.target === 'manager') {
      const manager = value === null ? null : text(value)
      if (manager !== null) mapped.managerExternalId = manager.startsWith('bulkId:') ? resolveBulkId(manager.slice('bulkId:'.length)) ?? null : manager
      else if (removesManager(user)) mapped.managerExternalId = null
      continue
    }
    const target = mapping.target
    if (value !== null) flowing.set(target, value)
    const toTarget = schema.targets.convert
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

/**
 * Whether the record says it has no manager — `manager` sent with no value — rather than
 * leaving the manager out: an absent attribute keeps what the user has, as every attribute
 * does, while a manager emptied at the source (the column blanked in the HR export) unlinks.
 */
function removesManager (user: Record<string, unknown>): boolean {
  const enterprise = ownValue(user, ENTERPRISE_USER_URN)
  if (typeof enterprise !== 'object' || enterprise === null) return false
  const manager = ownValue(enterprise as Record<string, unknown>, 'manager')
  if (manager === null) return true
  if (typeof manager !== 'object' || manager === undefined) return false
  const value = ownValue(manager as Record<string, unknown>, 'value')
  return value === undefined || value === null || value === ''
}

function ownValue (object: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(object).find(candidate => candidate.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : object[key]
}

function isEmpty (value: Value): boolean {
  return value === null || value === '' || (Array.isArray(value) && value.length === 0)
}

function assign (into: object, target: string, value: unknown): void {
  if (value !== undefined && !(value instanceof Error)) (into as Record<string, unknown>)[target] = value
}
