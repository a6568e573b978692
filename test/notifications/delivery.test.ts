import { createServer, type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import t, { type Test } from 'tap'
import { NotificationDelivery } from '../../src/notifications/delivery.js'
import { enqueueNotification } from '../../src/notifications/outbox.js'
import { auth } from '../helpers/service.js'
import { createJob, del, post, provisioningFixture, run, sleep, waitFor, type ProvisioningJob } from '../helpers/provisioning.js'

// The notification outbox and its SMTP delivery, against a real SMTP server run in this
// process: delivery, no double sending, retry after a refused connection, and the
// outbox kept and readable when no SMTP server is configured.

interface ReceivedMail { from: string, to: string[], raw: string }

/** A real SMTP server on loopback that keeps what it receives. */
async function smtpServer (t: Test, port = 0): Promise<{ port: number, mails: ReceivedMail[] }> {
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map(rcpt => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') })
        callback()
      })
    }
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', () => resolve()) })
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return { port: (server.server.address() as AddressInfo).port, mails }
}

async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>(resolve => probe.close(() => resolve()))
  return port
}

function capturingLogger (): { log: pino.Logger, lines: () => Array<{ level: number, msg: string }> } {
  const lines: string[] = []
  const log = pino({ level: 'info' }, new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } }))
  return { log, lines: () => lines.map(line => JSON.parse(line)) }
}

const fixture = await provisioningFixture(t, {}, { worker: false })
const { app, db } = fixture

const mail = (job: ProvisioningJob, key: string): Parameters<typeof enqueueNotification>[1] => ({
  jobId: job.jobId, kind: 'quarantine', dedupeKey: key, recipient: 'ops@contoso.com', subject: `Subject ${key}`, body: `Body of ${key}`
})

async function row (dedupeKey: string): Promise<any> {
  const { rows: [found] } = await db.query('SELECT * FROM notifications WHERE dedupe_key = $1', [dedupeKey])
  return found
}

t.test('notifications are delivered to the SMTP server once, even with two workers polling', async t => {
  const smtp = await smtpServer(t)
  const job = await createJob(app, { start: false })
  for (let i = 0; i < 6; i++) t.ok(await enqueueNotification(db, mail(job, `once-${i}`)))
  const { log } = capturingLogger()
  const deliveries = [1, 2].map(() => new NotificationDelivery({ db, log, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'scim-inbound <noreply@contoso.com>', pollMs: 60_000 }))
  t.teardown(() => Promise.all(deliveries.map(delivery => delivery.close())))
  await Promise.all([...deliveries.map(delivery => delivery.deliverDue()), ...deliveries.map(delivery => delivery.deliverDue())])

  t.equal(smtp.mails.length, 6, 'six notifications, six mails')
  const subjects = smtp.mails.map(m => /^Subject: (.*)$/m.exec(m.raw)?.[1]).sort()
  t.strictSame(subjects, [0, 1, 2, 3, 4, 5].map(i => `Subject once-${i}`))
  t.strictSame(smtp.mails[0]!.to, ['ops@contoso.com'])
  t.equal(smtp.mails[0]!.from, 'noreply@contoso.com')
  t.match(smtp.mails[0]!.raw, /Body of once-/)
  const sent = await row('once-0')
  t.type(sent.sent_at, Date)
  t.equal(sent.attempts, 1)
})

t.test('the same cause twice makes one notification', async t => {
  const job = await createJob(app, { start: false })
  t.equal(await enqueueNotification(db, mail(job, 'dup')), true)
  t.equal(await enqueueNotification(db, mail(job, 'dup')), false)
  const { rows } = await db.query('SELECT count(*)::int AS n FROM notifications WHERE dedupe_key = $1', ['dup'])
  t.equal(rows[0].n, 1)
})

t.test('a refused connection is retried with backoff until the server is there', async t => {
  const port = await freePort()
  const job = await createJob(app, { start: false })
  await enqueueNotification(db, mail(job, 'retry'))
  const { log, lines } = capturingLogger()
  const delivery = new NotificationDelivery({ db, log, smtpUrl: `smtp://127.0.0.1:${port}`, from: 'scim-inbound <noreply@contoso.com>', pollMs: 60_000, retryBaseMs: 300 })
  t.teardown(() => delivery.close())

  await delivery.deliverDue()
  const failed = await row('retry')
  t.equal(failed.sent_at, null)
  t.equal(failed.attempts, 1)
  t.match(failed.last_error, /ECONNREFUSED|connect/i)
  t.ok(failed.next_attempt_at.getTime() > Date.now(), 'the next attempt is in the future')
  t.ok(lines().some(line => line.msg.includes('will be retried')), 'the failure is logged')

  await delivery.deliverDue()
  t.equal((await row('retry')).attempts, 1, 'not retried before its time')

  const smtp = await smtpServer(t, port)
  await sleep(350)
  await delivery.deliverDue()
  const delivered = await row('retry')
  t.type(delivered.sent_at, Date, 'delivered once the server listens')
  t.equal(delivered.attempts, 2)
  t.equal(delivered.last_error, null)
  t.equal(smtp.mails.filter(m => m.raw.includes('Subject: Subject retry')).length, 1, 'one mail for it')
})

t.test('without SMTP_URL the outbox is kept, readable page by page, and the log says so once', async t => {
  const job = await createJob(app, { start: false })
  for (let i = 0; i < 3; i++) await enqueueNotification(db, mail(job, `kept-${i}`))
  const { log, lines } = capturingLogger()
  const delivery = new NotificationDelivery({ db, log, from: 'x <x@contoso.com>', pollMs: 50 })
  delivery.start()
  await sleep(200)
  await delivery.deliverDue()
  await delivery.close()
  t.equal(lines().filter(line => line.level === 40).length, 1, 'one warning')
  t.match(lines()[0]!.msg, /SMTP_URL is not set/)
  t.equal((await row('kept-0')).sent_at, null)

  const seen: string[] = []
  let url: string | undefined = `${job.jobUrl}/notifications?$top=2`
  while (url !== undefined) {
    const response: { statusCode: number, json: () => any } = await app.inject({ method: 'GET', url, headers: auth() })
    t.equal(response.statusCode, 200)
    const page: any = response.json()
    seen.push(...page.value.map((n: any) => n.subject))
    t.ok(page.value.every((n: any) => n.sentDateTime === null && n.attempts === 0))
    url = page['@odata.nextLink'] === undefined ? undefined : new URL(page['@odata.nextLink']).pathname + new URL(page['@odata.nextLink']).search
  }
  t.strictSame(seen, ['Subject kept-2', 'Subject kept-1', 'Subject kept-0'], 'newest first, each once')
})

t.test('the notifications route refuses what it cannot serve', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await app.inject({ method: 'GET', url: `${job.jobUrl}/notifications?$skiptoken=nope`, headers: auth() })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: `${job.jobUrl}/notifications?$top=0`, headers: auth() })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: `${job.jobUrl}/notifications`, headers: auth(['SynchronizationData-User.Upload']) })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: `${job.jobUrl}/notifications` })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: `/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/nope/notifications`, headers: auth() })).statusCode, 404)
})

t.test('a quarantine reaches the notification email through a worker and SMTP', async t => {
  const smtp = await smtpServer(t)
  const service = await provisioningFixture(t, { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, NOTIFICATION_POLL_MS: 100 })
  const job = await createJob(service.app, { settings: { deleteThreshold: 1 } })
  await run(service.app, job, [post({ externalId: 'N1', userName: 'n1@contoso.com', displayName: 'N1' }), post({ externalId: 'N2', userName: 'n2@contoso.com', displayName: 'N2' })])
  await run(service.app, job, [del('N1'), del('N2')])
  const received = await waitFor('the quarantine mail', async () => smtp.mails[0])
  t.strictSame(received.to, ['identity-ops@contoso.com'])
  t.match(received.raw, /TooManyDeletes/)
  t.match(received.raw, /ForceDeletes/)
  await sleep(300)
  t.equal(smtp.mails.length, 1, 'once')
})
