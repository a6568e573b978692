import nodemailer, { type Transporter } from 'nodemailer'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'

export interface DeliveryOptions {
  db: Db
  log: Logger
  smtpUrl?: string
  from: string
  pollMs: number
  /** First retry delay; doubles with each failed attempt, up to `maxRetryMs`. */
  retryBaseMs?: number
  maxRetryMs?: number
}

/** How long a claimed notification is held by the worker sending it before another may try. */
const LEASE_MS = 5 * 60_000
const BATCH = 20

/**
 * Delivers the outbox by SMTP. Every worker process runs one; a notification is claimed
 * with a lease (SKIP LOCKED, next attempt pushed past the send), so two workers never send
 * the same mail, and one that died mid-send is retried when the lease ends. Failures are
 * retried with exponential backoff. Without SMTP_URL nothing is sent: the outbox is kept
 * and readable through the API, and the log says so once.
 */
export class NotificationDelivery {
  private readonly transport?: Transporter
  private timer?: NodeJS.Timeout
  private running: Promise<void> = Promise.resolve()
  private closed = false

  constructor (private readonly options: DeliveryOptions) {
    if (options.smtpUrl !== undefined) {
      const url = new URL(options.smtpUrl)
      // Short timeouts: a hung server must not hold the outbox for minutes.
      for (const [name, ms] of [['connectionTimeout', '10000'], ['greetingTimeout', '10000'], ['socketTimeout', '30000']] as const) {
        if (!url.searchParams.has(name)) url.searchParams.set(name, ms)
      }
      this.transport = nodemailer.createTransport(url.toString())
    }
  }

  start (): void {
    if (this.transport === undefined) {
      this.options.log.warn('SMTP_URL is not set: notifications are kept in the outbox, unsent (GET /servicePrincipals/{spId}/synchronization/jobs/{jobId}/notifications)')
      return
    }
    this.timer = setInterval(() => { void this.deliverDue() }, this.options.pollMs)
    this.timer.unref()
    void this.deliverDue()
  }

  /** Sends what is due now; serialized, so a slow server never stacks up overlapping rounds. */
  deliverDue (): Promise<void> {
    this.running = this.running.then(() => this.round()).catch(err => {
      this.options.log.error({ err }, 'notification delivery round failed')
    })
    return this.running
  }

  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    await this.running
    this.transport?.close()
  }

  private async round (): Promise<void> {
    if (this.closed || this.transport === undefined) return
    const { db } = this.options
    const { rows } = await db.query(
      `UPDATE notifications SET next_attempt_at = clock_timestamp() + $1 * interval '1 millisecond'
       WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= clock_timestamp()
                    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, recipient, subject, body, attempts`, [LEASE_MS, BATCH])
    for (const row of rows) {
      try {
        await this.transport.sendMail({ from: this.options.from, to: row.recipient, subject: row.subject, text: row.body })
        await db.query('UPDATE notifications SET sent_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [row.id])
      } catch (err) {
        const delay = Math.min(this.options.maxRetryMs ?? 3_600_000, (this.options.retryBaseMs ?? 2000) * 2 ** row.attempts)
        await db.query(
          `UPDATE notifications SET attempts = attempts + 1, last_error = $2, next_attempt_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE id = $1`,
          [row.id, String((err as Error).message ?? err).slice(0, 1000), delay])
        this.options.log.warn({ err, notificationId: row.id, attempts: row.attempts + 1, retryInMs: delay }, 'could not send a notification; it will be retried')
      }
    }
  }
}
