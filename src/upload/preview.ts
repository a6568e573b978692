import { batchesOf, type ValidRow } from './bulk-request.js'
import { openCsv } from './csv-reader.js'
import { compileMapping } from './csv-to-scim.js'
import type { Mapping } from './mapping-file.js'

/** The first requests an upload would send (valid rows only), as JSON objects: what --dry-run prints. */
export async function previewRequests (csvPath: string, mapping: Mapping, options: {
  count: number
  batchSize: number
  delimiter?: string
  mappingSource?: string
}): Promise<Array<Record<string, unknown>>> {
  const csv = await openCsv(csvPath, { delimiter: options.delimiter })
  const convert = compileMapping(mapping, csv.header, options.mappingSource)
  async function * validRows (): AsyncGenerator<ValidRow> {
    for await (const record of csv.rows) {
      const converted = convert(record)
      if (converted.ok) yield converted
    }
  }
  const requests: Array<Record<string, unknown>> = []
  for await (const batch of batchesOf(validRows(), options.batchSize)) {
    requests.push(JSON.parse(batch.body) as Record<string, unknown>)
    if (requests.length >= options.count) break
  }
  return requests
}
