import type { RowResult, ScimUserData } from './csv-to-scim.js'
import { rangesOf, type RowRange } from './row-ranges.js'
import { BULK_REQUEST_URN } from './scim-attributes.js'

/** One bulk request ready to send, and the rows it carries. */
export interface Batch {
  /** Position among the batches of this run, from 0. */
  sequence: number
  rows: RowRange[]
  firstRow: number
  lastRow: number
  /** Its distinct externalIds: two batches that share one must be accepted in file order. */
  externalIds: string[]
  operationCount: number
  /** The BulkRequest JSON; resent as is on every retry. */
  body: string
}

export type ValidRow = Extract<RowResult, { ok: true }>

/** bulkIds name the row, so every result and error the service reports leads back to the file. */
export function bulkIdOf (row: number): string {
  return `row-${row}`
}

export function rowOfBulkId (bulkId: string | null | undefined): number | undefined {
  const match = /^row-(\d+)$/.exec(bulkId ?? '')
  return match === null ? undefined : Number(match[1])
}

export function bulkOperation (row: number, user: ScimUserData): Record<string, unknown> {
  return { method: 'POST', bulkId: bulkIdOf(row), path: '/Users', data: user }
}

export function bulkRequest (operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [BULK_REQUEST_URN], Operations: operations, failOnErrors: null }
}

/** Groups valid rows into batches of `batchSize` operations, in file order. */
export async function * batchesOf (rows: AsyncIterable<ValidRow>, batchSize: number): AsyncGenerator<Batch, void, undefined> {
  let sequence = 0
  let pending: ValidRow[] = []
  const make = (): Batch => {
    const batch: Batch = {
      sequence: sequence++,
      rows: rangesOf(pending.map(row => row.row)),
      firstRow: pending[0]!.row,
      lastRow: pending[pending.length - 1]!.row,
      externalIds: [...new Set(pending.map(row => row.externalId))],
      operationCount: pending.length,
      // Operations are serialized one by one so the request text is built without a second tree.
      body: `{"schemas":["${BULK_REQUEST_URN}"],"Operations":[${pending.map(row => JSON.stringify(bulkOperation(row.row, row.user))).join(',')}],"failOnErrors":null}`
    }
    pending = []
    return batch
  }
  for await (const row of rows) {
    pending.push(row)
    if (pending.length >= batchSize) yield make()
  }
  if (pending.length > 0) yield make()
}
