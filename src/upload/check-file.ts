import { createHash } from 'node:crypto'
import { openCsv } from './csv-reader.js'
import { compileMapping, type RowResult } from './csv-to-scim.js'
import type { Mapping } from './mapping-file.js'
import type { RowProblem } from './row-validation.js'
import { rangesOf, RowSet } from './row-ranges.js'

export interface FileCheck {
  header: string[]
  delimiter: string
  /** Data rows (blank lines aside). */
  rows: number
  valid: number
  invalid: number
  /** The first problems found, to print; every one goes to onInvalidRow. */
  problems: RowProblem[]
  validRows: RowSet
  /** sha256 and size of the file's bytes: what a checkpoint belongs to. */
  sha256: string
  size: number
  interrupted: boolean
}

const PROBLEMS_KEPT = 100

/**
 * The first pass over the file: every row converted and checked, nothing sent. It also
 * fingerprints the file for the checkpoint and counts the rows for the progress bar.
 */
export async function checkFile (path: string, mapping: Mapping, options: {
  delimiter?: string
  mappingSource?: string
  signal?: AbortSignal
  onInvalidRow?: (result: Extract<RowResult, { ok: false }>) => void
  onRow?: () => void
} = {}): Promise<FileCheck> {
  const hash = createHash('sha256')
  let size = 0
  const csv = await openCsv(path, { delimiter: options.delimiter, onBytes: chunk => { size += chunk.length; hash.update(chunk) } })
  const convert = compileMapping(mapping, csv.header, options.mappingSource)
  const check: FileCheck = {
    header: csv.header, delimiter: csv.delimiter, rows: 0, valid: 0, invalid: 0, problems: [],
    validRows: new RowSet(), sha256: '', size: 0, interrupted: false
  }
  let pendingValid: number[] = []
  for await (const record of csv.rows) {
    if (options.signal?.aborted === true) { check.interrupted = true; await csv.rows.return(); break }
    check.rows++
    options.onRow?.()
    const result = convert(record)
    if (result.ok) {
      check.valid++
      pendingValid.push(result.row)
      // Rows are added in runs so the set stays a few ranges without holding every number.
      if (pendingValid.length >= 10_000) { check.validRows.add(rangesOf(pendingValid)); pendingValid = [] }
      continue
    }
    check.invalid++
    for (const problem of result.problems) if (check.problems.length < PROBLEMS_KEPT) check.problems.push(problem)
    options.onInvalidRow?.(result)
  }
  check.validRows.add(rangesOf(pendingValid))
  check.sha256 = hash.digest('hex')
  check.size = size
  return check
}

/** Valid rows that no earlier run got accepted: what this run sends. */
export function rowsToSend (valid: RowSet, accepted: RowSet): number {
  let count = 0
  for (const [first, last] of valid.toJSON()) {
    for (let row = first; row <= last; row++) if (!accepted.has(row)) count++
  }
  return count
}
