import { randomUUID } from 'node:crypto'
import type { Db, DbClient } from '../db/pool.js'

export type NotificationKind = 'quarantine' | 'failureDigest'

export interface NewNotification {
  jobId: string
  kind: NotificationKind
  /** Once per cause: a second notification with the same key is not created. */
  dedupeKey: string
  recipient: string
  subject: string
  body: string
}

export interface StoredNotification {
  id: string
  kind: NotificationKind
  recipient: string
  subject: string
  body: string
  createdAt: Date
  attempts: number
  nextAttemptAt: Date
  sentAt: Date | null
  lastError: string | null
  /** created_at with PostgreSQL's microseconds, for keyset paging. */
  cursor: string
}

/**
 * Puts a notification in the outbox; given the caller's transaction client it commits
 * with the change that caused it. Returns false when one with the same key already exists.
 */
export async function enqueueNotification (db: Db | DbClient, notification: NewNotification): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO notifications (id, job_id, kind, dedupe_key, recipient, subject, body) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [randomUUID(), notification.jobId, notification.kind, notification.dedupeKey, notification.recipient, notification.subject, notification.body])
  return rowCount === 1
}

/** A job's notifications, newest first, starting after the last entry of the previous page. */
export async function listNotifications (db: Db, jobId: string, page: { top: number, after?: { at: string, id: string } }): Promise<StoredNotification[]> {
  const { rows } = await db.query(
    `SELECT id, kind, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor
     FROM notifications
     WHERE job_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $4`,
    [jobId, page.after?.at ?? null, page.after?.id ?? null, page.top])
  return rows.map(row => ({
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    subject: row.subject,
    body: row.body,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
    cursor: row.cursor
  }))
}
