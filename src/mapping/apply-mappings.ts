import type { EntraAttributeValues } from '../directory/entra/user.js'
import { compileAttributePath, type AttributeReader } from './attribute-path.js'
import { API2AAD_DEFAULT_MAPPINGS, API2AAD_MANAGER_SOURCE, type AttributeMapping, type ValueTransform } from './api2aad-defaults.js'

export interface MappedUser {
  /** Only the attributes the source carried a value for: a null, empty or absent source leaves the target as it is. */
  attributes: Partial<EntraAttributeValues>
  /** The manager's externalId (bulkId references already resolved), absent when the source sent none. */
  managerExternalId?: string
}

/**
 * Applies attribute mappings to one normalized SCIM user. `resolveBulkId` turns a
 * `bulkId:<id>` reference into the externalId of that operation.
 */
export function applyMappings (user: Record<string, unknown>, resolveBulkId: (bulkId: string) => string | undefined, mappings: AttributeMapping[] = API2AAD_DEFAULT_MAPPINGS): MappedUser {
  const attributes: Record<string, unknown> = {}
  for (const mapping of compiled(mappings)) {
    const value = transform(mapping.read(user), mapping.transform)
    if (value !== undefined) attributes[mapping.target] = value
  }
  const mapped: MappedUser = { attributes: attributes as Partial<EntraAttributeValues> }
  const manager = readManager(user)
  if (typeof manager === 'string' && manager !== '') {
    mapped.managerExternalId = manager.startsWith('bulkId:') ? resolveBulkId(manager.slice('bulkId:'.length)) : manager
  }
  return mapped
}

const readManager = compileAttributePath(API2AAD_MANAGER_SOURCE)
const compiledMappings = new WeakMap<AttributeMapping[], Array<AttributeMapping & { read: AttributeReader }>>()

/** Mapping source paths are parsed once per mapping list, not once per user. */
function compiled (mappings: AttributeMapping[]): Array<AttributeMapping & { read: AttributeReader }> {
  let list = compiledMappings.get(mappings)
  if (list === undefined) {
    list = mappings.map(mapping => ({ ...mapping, read: compileAttributePath(mapping.source) }))
    compiledMappings.set(mappings, list)
  }
  return list
}

function transform (value: unknown, how: ValueTransform): unknown {
  // Entra without "Flow null values": null and empty values are not provisioned.
  if (value === undefined || value === null || value === '') return undefined
  switch (how) {
    case 'direct': return value
    case 'localPart': {
      if (typeof value !== 'string') return undefined
      const at = value.indexOf('@')
      return at < 0 ? value : value.slice(0, at)
    }
    case 'list': return [String(value)]
  }
}
