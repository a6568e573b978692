import t from 'tap'
import { NotificationDelivery } from '../../src/notifications/delivery.js'
import { enqueueNotification, type NewNotification } from '../../src/notifications/outbox.js'
import { auth } from '../helpers/service.js'
import { createJob, del, post, provisioningFixture, run, sleep, waitFor, type ProvisioningJob } from '../helpers/provisioning.js'
import { capturingLogger, startSmtpServer, unusedPort } from './smtp-test-server.js'

// SMTP delivery of the outbox, against a real SMTP server in this process: each mail once
// even with two workers polling, a send in progress finished on close, retries with backoff
// after a refused connection, and a quarantine mailed end to end through a worker.

const fixture = await provisioningFixture(t, {}, { worker: false })
const { app, db } = fixture
const FROM = 'scim-inbound <noreply@contoso.com>'

const notification = (job: ProvisioningJob, key: string): NewNotification => ({
  jobId: job.jobId, kind: 'quarantine', dedupeKey: `${job.jobId}:${key}`, recipient: 'ops@contoso.com', subject: `Subject ${key}`, body: `Body of ${key}`
})

async function stored (job: ProvisioningJob, key: string): Promise<any> {
  const { rows: [row] } = await db.query('SELECT * FROM notifications WHERE dedupe_key = $1', [`${job.jobId}:${key}`])
  return row
}

t.test('each notification reaches the SMTP server once, even with two workers polling', async t => {
  const smtp = await startSmtpServer(t)
  const job = await createJob(app, { start: false })
  const keys = Array.from({ length: 12 }, (_, i) => `once-${i}`)
  for (const key of keys) await enqueueNotification(db, notification(job, key))
  const { log } = capturingLogger()
  const workers = [1, 2].map(() => new NotificationDelivery({ db, log, smtpUrl: smtp.url, from: FROM, pollMs: 100 }))
  t.teardown(() => Promise.all(workers.map(worker => worker.close())))
  for (const worker of workers) worker.start()
  // Rounds asked for directly race with the polling ones: still one mail each.
  await Promise.all(workers.map(worker => worker.deliverDue()))
  await waitFor('every notification sent', async () => {
    const { rows: [unsent] } = await db.query('SELECT count(*)::int AS n FROM notifications WHERE job_id = $1 AND sent_at IS NULL', [job.jobId])
    return unsent.n === 0 ? true : undefined
  })
  await sleep(300)

  t.strictSame(smtp.mails.map(mail => mail.subject).sort(), keys.map(key => `Subject ${key}`).sort(), 'one mail per notification')
  const mail = smtp.mails.find(mail => mail.subject === 'Subject once-0')!
  t.strictSame(mail.to, ['ops@contoso.com'])
  t.equal(mail.from, 'noreply@contoso.com')
  t.match(mail.raw, /^From: "?scim-inbound"? <noreply@contoso\.com>\r$/m, 'the From header is SMTP_FROM')
  t.equal(mail.text.trimEnd(), 'Body of once-0')
  const row = await stored(job, 'once-0')
  t.type(row.sent_at, Date)
  t.equal(row.attempts, 1)
  t.equal(row.last_error, null)
})

t.test('close waits for the send in progress and records it', async t => {
  const smtp = await startSmtpServer(t, { holdMs: 400 })
  const job = await createJob(app, { start: false })
  await enqueueNotification(db, notification(job, 'in-flight'))
  const { log } = capturingLogger()
  const worker = new NotificationDelivery({ db, log, smtpUrl: smtp.url, from: FROM, pollMs: 60_000 })
  worker.start()
  await waitFor('the server receiving the mail', async () => smtp.receiving() > 0 ? true : undefined)
  await worker.close()
  t.equal(smtp.mails.length, 1)
  t.type((await stored(job, 'in-flight')).sent_at, Date, 'recorded as sent before close returned')
})

t.test('a refused connection is recorded and retried with backoff until the server listens', async t => {
  const retryBaseMs = 500
  const port = await unusedPort()
  const job = await createJob(app, { start: false })
  await enqueueNotification(db, notification(job, 'retry'))
  const { log, lines } = capturingLogger()
  const worker = new NotificationDelivery({ db, log, smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, pollMs: 60_000, retryBaseMs })
  t.teardown(() => worker.close())

  await worker.deliverDue()
  const failed = await stored(job, 'retry')
  t.equal(failed.sent_at, null)
  t.equal(failed.attempts, 1)
  t.match(failed.last_error, /ECONNREFUSED/)
  t.ok(failed.next_attempt_at.getTime() > Date.now(), 'the next attempt is in the future')
  t.ok(lines().some(line => line.msg.includes('will be retried')), 'the failure is logged')

  const listed = (await app.inject({ method: 'GET', url: `${job.jobUrl}/notifications`, headers: auth() })).json().value[0]
  t.match(listed, { attempts: 1, sentDateTime: null, lastError: /ECONNREFUSED/ }, 'the API shows the failed attempt')

  await worker.deliverDue()
  t.equal((await stored(job, 'retry')).attempts, 1, 'not tried again before its time')

  await sleep(retryBaseMs + 50)
  // The attempt happens between these two instants, so its delay lies between what is left
  // counted from each: a slow machine widens the bracket, it cannot fail the check.
  const before = Date.now()
  await worker.deliverDue()
  const after = Date.now()
  const second = await stored(job, 'retry')
  t.equal(second.attempts, 2, 'tried again once due')
  const next = second.next_attempt_at.getTime()
  t.ok(next - after <= 2 * retryBaseMs && next - before >= 2 * retryBaseMs, `the delay doubled to ${2 * retryBaseMs} ms (between ${next - after} and ${next - before} ms)`)

  const smtp = await startSmtpServer(t, { port })
  await waitFor('the next attempt', async () => (await stored(job, 'retry')).next_attempt_at.getTime() <= Date.now() ? true : undefined)
  await worker.deliverDue()
  const delivered = await stored(job, 'retry')
  t.type(delivered.sent_at, Date, 'delivered once the server listens')
  t.equal(delivered.attempts, 3)
  t.equal(delivered.last_error, null)
  t.strictSame(smtp.mails.map(mail => mail.subject), ['Subject retry'])
})

t.test('a quarantine is mailed by the worker, once', async t => {
  const smtp = await startSmtpServer(t)
  const service = await provisioningFixture(t, { SMTP_URL: smtp.url, NOTIFICATION_POLL_MS: 100 })
  const job = await createJob(service.app, { settings: { deleteThreshold: 1 } })
  await run(service.app, job, [post({ externalId: 'N1', userName: 'n1@contoso.com', displayName: 'N1' }), post({ externalId: 'N2', userName: 'n2@contoso.com', displayName: 'N2' })])
  await run(service.app, job, [del('N1'), del('N2')])
  const mail = await waitFor('the quarantine mail', async () => smtp.mails[0])
  await sleep(300)
  t.equal(smtp.mails.length, 1, 'once')
  const { rows: [queued] } = await service.db.query('SELECT * FROM notifications WHERE job_id = $1', [job.jobId])
  t.type(queued.sent_at, Date)
  t.strictSame(mail.to, ['identity-ops@contoso.com'])
  t.equal(mail.subject, queued.subject)
  t.match(mail.subject, /TooManyDeletes/)
  t.equal(mail.text.trimEnd(), queued.body, 'the body arrives as written')
  t.match(mail.text, /ForceDeletes/, 'says how to get out')
  t.match(mail.text, `GET /servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/${job.jobId}\n`)
})
