import { closeSync, openSync, writeSync } from 'node:fs'
import type { RowProblem } from './row-validation.js'
import type { OperationResult } from './wait-for-results.js'

const ACTIONS = ['create', 'update', 'delete', 'disable', 'stagedDelete', 'other']
const STATUSES = ['success', 'failure', 'skipped', 'warning', 'purged']
/** Failed records kept in memory to print; all of them go to the report file. */
const FAILURES_SHOWN = 20

/** Outcomes per action × status, and the failed records. */
export class ResultSummary {
  readonly counts = new Map<string, Map<string, number>>()
  readonly failures: OperationResult[] = []
  failureCount = 0
  operations = 0

  add (results: OperationResult[]): void {
    for (const result of results) {
      this.operations++
      const action = result.action ?? (result.status === 'purged' ? 'other' : 'unknown')
      const row = this.counts.get(action) ?? new Map<string, number>()
      this.counts.set(action, row)
      row.set(result.status, (row.get(result.status) ?? 0) + 1)
      if (result.status !== 'failure') continue
      this.failureCount++
      if (this.failures.length < FAILURES_SHOWN) this.failures.push(result)
    }
  }

  /** The table of outcomes and the first failed records, as printed after --wait. */
  format (): string {
    const actions = [...ACTIONS.filter(action => this.counts.has(action)), ...[...this.counts.keys()].filter(action => !ACTIONS.includes(action))]
    const seen = new Set([...this.counts.values()].flatMap(row => [...row.keys()]))
    const statuses = [...STATUSES.filter(status => seen.has(status) || ['success', 'failure', 'skipped'].includes(status)), ...[...seen].filter(status => !STATUSES.includes(status))]
    const table = [['action', ...statuses], ...actions.map(action => [action, ...statuses.map(status => String(this.counts.get(action)?.get(status) ?? 0))])]
    const widths = table[0]!.map((_, column) => Math.max(...table.map(line => line[column]!.length)))
    const lines = table.map(line => '  ' + line.map((cell, column) => column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  '))
    if (actions.length === 0) lines.push('  (no operations)')
    if (this.failureCount > 0) {
      lines.push(`Failed records (${this.failureCount}):`)
      for (const failure of this.failures) {
        lines.push(`  ${failure.row !== undefined ? `row ${failure.row}, ` : ''}externalId ${failure.externalId ?? '?'}: ${failure.errorCode ?? 'failure'} — ${failure.reason ?? 'no reason given'}`)
      }
      if (this.failureCount > this.failures.length) lines.push(`  … and ${this.failureCount - this.failures.length} more`)
    }
    return lines.join('\n')
  }
}

export const REPORT_COLUMNS = ['row', 'externalId', 'column', 'action', 'status', 'errorCode', 'reason', 'requestId']

/**
 * The CSV of what did not make it: rows refused here (status `invalid`) and records the
 * service failed. Written as they are known, so a large run keeps none of them in memory.
 */
export class ReportWriter {
  private readonly fd: number
  rows = 0

  constructor (readonly path: string) {
    this.fd = openSync(path, 'w')
    this.line(REPORT_COLUMNS)
  }

  invalid (problem: RowProblem, externalId?: string): void {
    this.line([String(problem.row), externalId ?? '', problem.column ?? '', '', 'invalid', 'InvalidRow', problem.attribute !== undefined ? `${problem.attribute}: ${problem.reason}` : problem.reason, ''])
  }

  result (result: OperationResult): void {
    if (result.status !== 'failure') return
    this.line([result.row !== undefined ? String(result.row) : '', result.externalId ?? '', '', result.action ?? '', result.status, result.errorCode ?? '', result.reason ?? '', result.requestId])
  }

  close (): void {
    closeSync(this.fd)
  }

  private line (cells: string[]): void {
    writeSync(this.fd, cells.map(csvCell).join(',') + '\r\n')
    this.rows++
  }
}

function csvCell (value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}
