import t from 'tap'
import { withTransaction } from '../../src/db/pool.js'
import { NotificationDelivery } from '../../src/notifications/delivery.js'
import { enqueueNotification, type NewNotification } from '../../src/notifications/outbox.js'
import { auth } from '../helpers/service.js'
import { createJob, provisioningFixture, sleep, type ProvisioningJob } from '../helpers/provisioning.js'
import { capturingLogger, WARN } from './smtp-test-server.js'

// The outbox itself: one notification per cause, committed (or not) with the caller's
// transaction, and, without SMTP_URL, kept unsent and readable page by page.

const { app, db } = await provisioningFixture(t, {}, { worker: false })

const notification = (job: ProvisioningJob, key: string): NewNotification => ({
  jobId: job.jobId, kind: 'failureDigest', dedupeKey: `${job.jobId}:${key}`, recipient: 'ops@contoso.com', subject: `Subject ${key}`, body: `Body of ${key}`
})

const count = async (job: ProvisioningJob): Promise<number> =>
  (await db.query('SELECT count(*)::int AS n FROM notifications WHERE job_id = $1', [job.jobId])).rows[0].n

t.test('the same cause twice makes one notification', async t => {
  const job = await createJob(app, { start: false })
  t.equal(await enqueueNotification(db, notification(job, 'cause')), true, 'created')
  t.equal(await enqueueNotification(db, { ...notification(job, 'cause'), subject: 'Another subject' }), false, 'already there')
  t.equal(await count(job), 1)
  const { rows: [row] } = await db.query('SELECT * FROM notifications WHERE job_id = $1', [job.jobId])
  t.match(row, { kind: 'failureDigest', recipient: 'ops@contoso.com', subject: 'Subject cause', attempts: 0, sent_at: null, last_error: null })
})

t.test('a notification commits or rolls back with the transaction that caused it', async t => {
  const job = await createJob(app, { start: false })
  await t.rejects(withTransaction(db, async client => {
    t.equal(await enqueueNotification(client, notification(job, 'rolled-back')), true)
    throw new Error('the change failed')
  }))
  t.equal(await count(job), 0, 'gone with the rollback')
  await withTransaction(db, async client => { await enqueueNotification(client, notification(job, 'committed')) })
  t.equal(await count(job), 1)
})

t.test('without SMTP_URL nothing is sent, the log says so once, and the outbox reads page by page', async t => {
  const job = await createJob(app, { start: false })
  for (let i = 0; i < 5; i++) await enqueueNotification(db, notification(job, `kept-${i}`))
  const { log, lines } = capturingLogger()
  const worker = new NotificationDelivery({ db, log, from: 'x <x@contoso.com>', pollMs: 100 })
  worker.start()
  await sleep(350)
  await worker.deliverDue()
  await worker.close()
  t.equal(lines().length, 1, 'a single log line')
  t.match(lines()[0], { level: WARN, msg: /SMTP_URL is not set.*outbox.*GET \/servicePrincipals\/\{spId\}\/synchronization\/jobs\/\{jobId\}\/notifications/ })
  const { rows: [untouched] } = await db.query('SELECT count(*)::int AS n FROM notifications WHERE job_id = $1 AND sent_at IS NULL AND attempts = 0', [job.jobId])
  t.equal(untouched.n, 5, 'nothing sent or attempted')

  const subjects: string[] = []
  let url: string | undefined = `/v1.0${job.jobUrl}/notifications?$top=2`
  let pages = 0
  while (url !== undefined) {
    const response: { statusCode: number, json: () => any } = await app.inject({ method: 'GET', url, headers: auth(['Synchronization.Read.All']) })
    t.equal(response.statusCode, 200)
    const page: any = response.json()
    pages++
    for (const item of page.value) {
      t.match(item, { kind: 'failureDigest', recipient: 'ops@contoso.com', attempts: 0, sentDateTime: null, lastError: null })
      t.ok(new Date(item.nextAttemptDateTime).getTime() <= Date.now(), 'due')
      subjects.push(item.subject)
    }
    const next: string | undefined = page['@odata.nextLink']
    if (next !== undefined) t.match(new URL(next).pathname, /^\/v1\.0\//, 'the next page keeps the prefix')
    url = next === undefined ? undefined : new URL(next).pathname + new URL(next).search
  }
  t.equal(pages, 3)
  t.strictSame(subjects, [4, 3, 2, 1, 0].map(i => `Subject kept-${i}`), 'newest first, each once')
})
