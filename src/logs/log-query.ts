import type { Db, DbClient } from '../db/pool.js'
import { inReadSnapshot } from '../db/read-snapshot.js'
import type { ModifiedProperty, ProvisioningAction, ProvisioningStatus, ProvisioningStep } from '../provisioning/outcome.js'
import { readModifiedProperties, type StoredModifiedProperties } from './modified-properties.js'
import { readSteps, type StoredSteps } from './stored-steps.js'
import { filterCondition } from './log-filter-sql.js'
import type { LogFilter } from './log-filter.js'

/** A provisioning log entry as stored, modified properties and steps read back into Graph's shape. */
export interface StoredLogEntry {
  id: string
  /** UTC, ISO 8601 with PostgreSQL's microseconds: shown, and the paging position. */
  activityDateTime: string
  jobId: string
  cycleId: string
  changeId: string
  durationMs: number
  action: ProvisioningAction
  status: ProvisioningStatus
  errorCode: string | null
  reason: string | null
  requestId: string
  /** The operation's index in its request; -1 for a reference resolution logged later. */
  operationIndex: number
  bulkId: string | null
  method: string | null
  sourceId: string | null
  sourceDisplayName: string | null
  targetId: string | null
  targetDisplayName: string | null
  modifiedProperties: ModifiedProperty[]
  steps: ProvisioningStep[]
}

/** Keyset position: the activity time (with microseconds) and id of the last entry read. */
export interface LogPosition { at: string, id: string }

export type LogOrder = 'asc' | 'desc'

export interface LogPageQuery {
  filter?: LogFilter
  /** By activity time, then id; newest first unless asc. */
  order: LogOrder
  top: number
  /** Entries after this one in `order`. */
  after?: LogPosition
}

/**
 * One page of entries. Paging is by keyset on (activity_at, id), so a page never shifts when
 * entries arrive while a client reads: an entry written later is after every position
 * already handed out (newest first) or comes at the end (oldest first), and many entries
 * sharing a batch's activity time are told apart by id. Every value is a parameter.
 */
export async function listProvisioningLogs (db: Db | DbClient, query: LogPageQuery): Promise<StoredLogEntry[]> {
  const params: unknown[] = []
  const parameter = (value: unknown): string => { params.push(value); return `$${params.length}` }
  const conditions: string[] = []
  if (query.filter !== undefined) conditions.push(filterCondition(query.filter, parameter))
  if (query.after !== undefined) {
    conditions.push(`(activity_at, id) ${query.order === 'desc' ? '<' : '>'} (${parameter(query.after.at)}::timestamptz, ${parameter(query.after.id)}::uuid)`)
  }
  const direction = query.order === 'desc' ? 'DESC' : 'ASC'
  const { rows } = await db.query(
    `SELECT id, to_char(activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_date_time, job_id, cycle_id, change_id,
       duration_ms, action, status, error_code, reason, request_id, operation_index, bulk_id, method, source_id, source_display_name,
       target_id, target_display_name, modified_properties, steps
     FROM provisioning_logs
     ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY activity_at ${direction}, id ${direction}
     LIMIT ${parameter(query.top)}`, params)
  return rows.map(row => ({
    id: row.id,
    activityDateTime: row.activity_date_time,
    jobId: row.job_id,
    cycleId: row.cycle_id,
    changeId: row.change_id,
    durationMs: row.duration_ms,
    action: row.action,
    status: row.status,
    errorCode: row.error_code,
    reason: row.reason,
    requestId: row.request_id,
    operationIndex: row.operation_index,
    bulkId: row.bulk_id,
    method: row.method,
    sourceId: row.source_id,
    sourceDisplayName: row.source_display_name,
    targetId: row.target_id,
    targetDisplayName: row.target_display_name,
    // Stored as the JSON text the worker made (migration 0008).
    modifiedProperties: readModifiedProperties(JSON.parse(row.modified_properties) as StoredModifiedProperties),
    steps: readSteps(JSON.parse(row.steps) as StoredSteps)
  }))
}

/** Rows read per query by a download: whatever the log's size, at most this many are held at once. */
export const DOWNLOAD_PAGE_SIZE = 1000

/*
 * A download reads page after page while the client receives; a client that stops reading
 * leaves the transaction idle. Past this, PostgreSQL ends the session and the download is cut
 * off, instead of a stalled client holding a connection (and a snapshot) for ever.
 */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 5 * 60 * 1000

export interface DownloadOptions {
  pageSize?: number
  idleTimeoutMs?: number
}

/**
 * Every entry the filter matches, page after page, all read in one REPEATABLE READ
 * transaction: the download is one snapshot, however many entries arrive meanwhile.
 */
export async function * allProvisioningLogs (db: Db, query: Omit<LogPageQuery, 'top'>, options: DownloadOptions = {}): AsyncGenerator<StoredLogEntry[]> {
  const { pageSize = DOWNLOAD_PAGE_SIZE, idleTimeoutMs = DOWNLOAD_IDLE_TIMEOUT_MS } = options
  yield * inReadSnapshot(db, idleTimeoutMs, async function * (client) {
    let after = query.after
    for (;;) {
      const page = await listProvisioningLogs(client, { ...query, after, top: pageSize })
      if (page.length > 0) yield page
      if (page.length < pageSize) break
      const last = page[page.length - 1]!
      after = { at: last.activityDateTime, id: last.id }
    }
  })
}
