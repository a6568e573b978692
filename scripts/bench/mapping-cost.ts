import { validateBulkRequest } from '../../src/ingest/validate-bulk-request.js'
import { applyMappings } from '../../src/mapping/apply-mappings.js'
import { API2AAD_DEFAULT_SCHEMA } from '../../src/mapping/api2aad-defaults.js'
import { compileSchema } from '../../src/mapping/compiled-schema.js'
import { bulkBody } from './payloads.js'

export interface MappingCost {
  users: number
  /** Per user, best of the rounds (the least disturbed by the rest of the machine). */
  microsecondsPerUser: number
}

/**
 * What evaluating the default attribute mappings costs per user, in this process: the
 * workers' share of the mapping engine, measured apart from parsing and PostgreSQL.
 */
export function measureMappingCost (users = 20_000, rounds = 5): MappingCost {
  const schema = compileSchema(API2AAD_DEFAULT_SCHEMA, 1)
  const sources: Array<Record<string, unknown>> = []
  for (let start = 1; sources.length < users; start += 1000) {
    const validation = validateBulkRequest(JSON.parse(bulkBody(start, 1000, 1)))
    if (!validation.ok) throw new Error('bench payload does not validate')
    for (const op of validation.request.operations) sources.push(op.data as unknown as Record<string, unknown>)
  }
  const context = { defaultDomain: 'contoso.com' }
  let best = Infinity
  let sink = 0
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint()
    for (const user of sources) sink += applyMappings(user, schema, context, () => undefined).matchKeys.length
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1000 / sources.length)
  }
  if (sink === 0) throw new Error('no user produced a matching key')
  return { users: sources.length, microsecondsPerUser: Math.round(best * 100) / 100 }
}
