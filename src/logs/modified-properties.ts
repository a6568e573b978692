import type { ModifiedProperty } from '../provisioning/outcome.js'

/** How a log entry stores its modified properties: `[name, oldValue, newValue]` triples. */
export type StoredModifiedProperties = Array<[string, string | null, string | null]>

/**
 * A create lists every attribute; spelled out as Graph objects that is over a kilobyte per
 * entry and the largest cost of writing the log. Triples carry the same, in order, in a
 * third of the bytes; readers turn them back into Graph's shape.
 */
export function storeModifiedProperties (properties: ModifiedProperty[]): StoredModifiedProperties {
  return properties.map(property => [property.displayName, property.oldValue, property.newValue])
}

export function readModifiedProperties (stored: StoredModifiedProperties): ModifiedProperty[] {
  return stored.map(([displayName, oldValue, newValue]) => ({ displayName, oldValue, newValue }))
}
