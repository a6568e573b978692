import type { StoredLogEntry } from './log-query.js'

/**
 * The download's columns, one row per entry, named after the fields of Entra's download.
 * Entra splits steps and modified properties into two more files joined by changeId; here
 * they are JSON in their own columns, so one file holds everything.
 */
export const LOG_CSV_COLUMNS = ['id', 'activityDateTime', 'jobId', 'cycleId', 'changeId', 'provisioningAction', 'status', 'errorCode', 'reason',
  'sourceId', 'sourceDisplayName', 'targetId', 'targetDisplayName', 'durationInMilliseconds', 'modifiedProperties', 'provisioningSteps'] as const

/**
 * A spreadsheet reads a cell starting with one of these as a formula; a display name like
 * `=HYPERLINK(…)` sent by an HR feed would run when an administrator opens the download.
 * Such a cell gets a leading apostrophe (OWASP's advice), which spreadsheets show as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/** One cell, RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. */
export function csvCell (value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

const csvLine = (cells: Array<string | number | null>): string => `${cells.map(csvCell).join(',')}\r\n`

export const LOG_CSV_HEADER = csvLine([...LOG_CSV_COLUMNS])

export function logCsvRow (entry: StoredLogEntry): string {
  return csvLine([
    entry.id, entry.activityDateTime, entry.jobId, entry.cycleId, entry.changeId, entry.action, entry.status, entry.errorCode, entry.reason,
    entry.sourceId, entry.sourceDisplayName, entry.targetId, entry.targetDisplayName, entry.durationMs,
    JSON.stringify(entry.modifiedProperties), JSON.stringify(entry.steps)
  ])
}

/** The header, then a chunk of rows per page: the caller's pages bound what is held at once. */
export async function * logCsv (pages: AsyncIterable<StoredLogEntry[]>): AsyncGenerator<string> {
  yield LOG_CSV_HEADER
  for await (const page of pages) yield page.map(logCsvRow).join('')
}
