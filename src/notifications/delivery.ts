import nodemailer, { type Transporter } from 'nodemailer'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.js'

export interface DeliveryOptions {
  db: Db
  log: Logger
  /** smtp:// or smtps:// URL; without it nothing is sent and the outbox is only kept. */
  smtpUrl?: string
  from: string
  pollMs: number
  /** Delay after the first failed attempt; doubles with each further failure, up to `maxRetryMs`. */
  retryBaseMs?: number
  maxRetryMs?: number
}

interface ClaimedNotification { id: string, recipient: string, subject: string, body: string, attempts: number }

/**
 * How long a claimed notification is reserved for the worker sending it. It outlasts the
 * slowest send the timeouts below allow, so no other worker sends it meanwhile; a worker
 * that died mid-send leaves it to be tried again once the lease ends.
 */
const LEASE_MS = 5 * 60_000
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }
const RETRY_BASE_MS = 2_000
const MAX_RETRY_MS = 60 * 60_000

/**
 * Delivers the notification outbox by SMTP. Every worker process runs one; each
 * notification is claimed by a single UPDATE (SKIP LOCKED, next attempt pushed past the
 * lease) before it is sent, so several workers never send the same mail. Failures are
 * retried with exponential backoff and never escape. Without SMTP_URL nothing is sent: the
 * outbox is kept, readable through the API, and the log says so once.
 */
export class NotificationDelivery {
  private readonly transport?: Transporter
  private timer?: NodeJS.Timeout
  private running: Promise<void> = Promise.resolve()
  private closed = false

  constructor (private readonly options: DeliveryOptions) {
    // Keys of the URL (e.g. ?socketTimeout=…) take precedence over these defaults.
    if (options.smtpUrl !== undefined) this.transport = nodemailer.createTransport({ url: options.smtpUrl, ...TIMEOUTS })
  }

  start (): void {
    if (this.transport === undefined) {
      this.options.log.warn('SMTP_URL is not set: notifications are kept in the outbox, unsent; read them at GET /servicePrincipals/{spId}/synchronization/jobs/{jobId}/notifications')
      return
    }
    this.poll(0)
  }

  /**
   * Sends everything due now. Rounds run one after another, never side by side; the poll
   * waits for a round to end before it schedules the next, so a slow server cannot pile them up.
   */
  deliverDue (): Promise<void> {
    this.running = this.running.then(() => this.round()).catch(err => {
      this.options.log.error({ err }, 'notification delivery round failed; it is tried again at the next poll')
    })
    return this.running
  }

  /** Stops polling and waits for a send in progress to be sent and recorded. */
  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.running
    this.transport?.close()
  }

  private poll (delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.deliverDue().then(() => { if (!this.closed) this.poll(this.options.pollMs) })
    }, delayMs)
    // Polling alone must not keep a process alive that is otherwise done.
    this.timer.unref()
  }

  private async round (): Promise<void> {
    const transport = this.transport
    if (transport === undefined) return
    while (!this.closed) {
      const notification = await this.claimNext()
      if (notification === undefined) return
      const failure = await send(transport, this.options.from, notification)
      if (failure === undefined) {
        // Should this fail (database gone), the mail goes out again when its lease ends:
        // a duplicate is better than a notification lost.
        await this.options.db.query('UPDATE notifications SET sent_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [notification.id])
        continue
      }
      await this.scheduleRetry(notification, failure)
      // Most failures are the server's (down, refusing, timing out): the rest of what is
      // due waits for the next poll instead of each paying for the same failure now.
      return
    }
  }

  /** Reserves the notification due first, for this worker alone. */
  private async claimNext (): Promise<ClaimedNotification | undefined> {
    const { rows: [claimed] } = await this.options.db.query<ClaimedNotification>(
      `UPDATE notifications SET next_attempt_at = clock_timestamp() + $1 * interval '1 millisecond'
       WHERE id = (SELECT id FROM notifications WHERE sent_at IS NULL AND next_attempt_at <= clock_timestamp()
                   ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, recipient, subject, body, attempts`, [LEASE_MS])
    return claimed
  }

  private async scheduleRetry (notification: ClaimedNotification, failure: Error): Promise<void> {
    const delayMs = Math.min(this.options.maxRetryMs ?? MAX_RETRY_MS, (this.options.retryBaseMs ?? RETRY_BASE_MS) * 2 ** notification.attempts)
    await this.options.db.query(
      `UPDATE notifications SET attempts = attempts + 1, last_error = $2, next_attempt_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE id = $1`, [notification.id, failure.message.slice(0, 1000), delayMs])
    this.options.log.warn({ err: failure, notificationId: notification.id, attempts: notification.attempts + 1, retryInMs: delayMs }, 'could not send a notification; it will be retried')
  }
}

/** The SMTP error, or undefined once the server accepted the mail. */
async function send (transport: Transporter, from: string, notification: ClaimedNotification): Promise<Error | undefined> {
  try {
    await transport.sendMail({ from, to: notification.recipient, subject: notification.subject, text: notification.body })
    return undefined
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}
