import t from 'tap'
import { auth, waitForRequest } from '../helpers/service.js'
import { accept, bulk, createJob, del, post, provisioningFixture, run, sleep, waitFor, type ProvisioningJob } from '../helpers/provisioning.js'

// A job's lifecycle as an operator drives it: start, pause and restart (with their
// idempotent repeats and refused transitions), the three quarantines and their way out,
// purge accounting, statistics after a mixed workload, and the audit of each action.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const person = (externalId: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, ...extra })

async function control (job: ProvisioningJob, action: 'start' | 'pause' | 'restart', body?: unknown): Promise<{ statusCode: number, json: () => any }> {
  return await app.inject({ method: 'POST', url: `${job.jobUrl}/${action}`, headers: auth(), ...(body === undefined ? {} : { payload: body as object }) })
}

async function jobResource (job: ProvisioningJob): Promise<any> {
  const response = await app.inject({ method: 'GET', url: job.jobUrl, headers: auth() })
  if (response.statusCode !== 200) throw new Error(`GET job: ${response.statusCode} ${response.body}`)
  return response.json()
}

async function statistics (job: ProvisioningJob): Promise<any> {
  const response = await app.inject({ method: 'GET', url: `${job.jobUrl}/statistics`, headers: auth() })
  if (response.statusCode !== 200) throw new Error(`statistics: ${response.statusCode} ${response.body}`)
  return response.json()
}

async function requestState (requestId: string): Promise<string> {
  const { rows: [row] } = await db.query('SELECT state FROM bulk_requests WHERE id = $1', [requestId])
  return row.state
}

/** The audit entries of the job's controls (start, pause, restart, quarantine), oldest first. */
async function audits (job: ProvisioningJob): Promise<Array<{ activity: string, result: string, initiated_by: string | null }>> {
  const { rows } = await db.query(
    `SELECT activity, result, initiated_by FROM directory_audits
     WHERE job_id = $1 AND activity NOT IN ('Add service principal', 'Update synchronization job settings') ORDER BY activity_at, id`, [job.jobId])
  return rows
}

async function notifications (job: ProvisioningJob): Promise<Array<{ kind: string, recipient: string, subject: string, body: string }>> {
  const { rows } = await db.query('SELECT kind, recipient, subject, body FROM notifications WHERE job_id = $1 ORDER BY created_at', [job.jobId])
  return rows
}

const live = async (job: ProvisioningJob, externalId: string): Promise<boolean> => {
  const { rows: [row] } = await db.query('SELECT deleted_at FROM directory_users WHERE directory_id = $1 AND employee_id = $2', [job.directoryId, externalId])
  return row !== undefined && row.deleted_at === null
}

t.test('start, pause and their repeats move the job between NotRun, Active and Paused', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await jobResource(job)).status.code, 'NotRun')
  t.equal((await control(job, 'start')).statusCode, 204)
  t.equal((await jobResource(job)).status.code, 'Active')
  t.equal((await control(job, 'start')).statusCode, 204, 'starting an active job is accepted')
  t.equal((await jobResource(job)).status.code, 'Active', 'and changes nothing')
  t.equal((await control(job, 'pause')).statusCode, 204)
  const paused = await jobResource(job)
  t.equal(paused.status.code, 'Paused')
  t.equal(paused.schedule.state, 'Paused')
  t.equal((await control(job, 'pause')).statusCode, 204, 'pausing a paused job is accepted')
  t.equal((await jobResource(job)).status.code, 'Paused')

  const requestId = await accept(app, job, bulk([post(person('P1'))]))
  await sleep(400)
  t.equal(await requestState(requestId), 'queued', 'a paused job accepts and keeps requests waiting')
  t.equal((await control(job, 'start')).statusCode, 204)
  await waitForRequest(app, job, requestId)
  t.ok(await live(job, 'P1'), 'started again, it processes what waited')

  t.strictSame((await audits(job)).map(entry => [entry.activity, entry.result]), [
    ['Start synchronization job', 'success'],
    ['Start synchronization job', 'success'],
    ['Pause synchronization job', 'success'],
    ['Pause synchronization job', 'success'],
    ['Start synchronization job', 'success']
  ], 'every control is audited')
  t.ok((await audits(job)).every(entry => entry.initiated_by === 'test-client'), 'with the token\'s client id')
})

t.test('starting without a notification email quarantines the job; setting the email and starting clears it', async t => {
  const job = await createJob(app, { start: false, notificationEmail: null })
  t.equal((await control(job, 'start')).statusCode, 204)
  const quarantined = await jobResource(job)
  t.equal(quarantined.status.code, 'Quarantine')
  t.equal(quarantined.status.quarantine.reason, 'EncounteredQuarantineException')
  t.equal(quarantined.status.quarantine.error.code, 'NotificationEmailMissing')
  t.match(quarantined.status.quarantine.error.message, /notificationEmail/, 'the message says how to get out')
  t.equal(quarantined.status.quarantine.seriesCount, 1)

  const requestId = await accept(app, job, bulk([post(person('Q1'))]))
  await sleep(400)
  t.equal(await requestState(requestId), 'queued', 'uploads are accepted in quarantine and wait')

  const patched = await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: { notificationEmail: 'ops@contoso.com' } })
  t.equal(patched.statusCode, 204)
  t.equal((await control(job, 'start')).statusCode, 204)
  const active = await jobResource(job)
  t.equal(active.status.code, 'Active')
  t.equal(active.status.quarantine, null)
  await waitForRequest(app, job, requestId)
  t.ok(await live(job, 'Q1'))
  t.ok((await audits(job)).some(entry => entry.activity === 'Quarantine synchronization job'), 'entering quarantine is audited')
})

t.test('a restart of a job without notification email quarantines it again', async t => {
  const job = await createJob(app, { start: false, notificationEmail: null })
  t.equal((await control(job, 'restart', { criteria: { resetScope: 'Full' } })).statusCode, 204)
  t.equal((await jobResource(job)).status.quarantine.error.code, 'NotificationEmailMissing')
})

t.test('too many deletes in a cycle: the excess is staged, the job quarantined and notified; ForceDeletes applies the staged deletes', async t => {
  const job = await createJob(app, { settings: { deleteThreshold: 3 } })
  const ids = Array.from({ length: 8 }, (_, i) => `D${i}`)
  await run(app, job, ids.map(id => post(person(id))))
  const status = await run(app, job, ids.slice(0, 6).map(id => del(id)))
  t.strictSame(status.operations.map((op: any) => [op.action, op.status]), [
    ['delete', 'success'], ['delete', 'success'], ['delete', 'success'],
    ['stagedDelete', 'skipped'], ['stagedDelete', 'skipped'], ['stagedDelete', 'skipped']
  ])
  t.match(status.operations[3].reason, /threshold/)
  const quarantined = await jobResource(job)
  t.equal(quarantined.status.code, 'Quarantine')
  t.equal(quarantined.status.quarantine.reason, 'TooManyDeletes')
  t.match(quarantined.status.quarantine.error.message, /ForceDeletes/)
  t.strictSame(await Promise.all(ids.map(id => live(job, id))), [false, false, false, true, true, true, true, true], 'staged deletes were not applied')
  const sent = await notifications(job)
  t.equal(sent.length, 1, 'one notification for the quarantine')
  t.equal(sent[0]!.kind, 'quarantine')
  t.equal(sent[0]!.recipient, 'identity-ops@contoso.com')

  const waiting = await accept(app, job, bulk([post(person('D7', { title: 'Buyer' }))]))
  await sleep(400)
  t.equal(await requestState(waiting), 'queued', 'quarantined: later requests wait')
  t.equal((await control(job, 'start')).statusCode, 409, 'a start does not clear TooManyDeletes')

  t.equal((await control(job, 'restart', { criteria: { resetScope: 'ForceDeletes' } })).statusCode, 204)
  const restarted = await jobResource(job)
  t.equal(restarted.status.code, 'Active')
  t.equal(restarted.status.quarantine, null)
  t.strictSame(await Promise.all(ids.map(id => live(job, id))), [false, false, false, false, false, false, true, true], 'ForceDeletes applied the staged deletes')
  t.equal(await requestState(waiting), 'purged', 'the restart purged what waited')
  const { rows: followUps } = await db.query(
    `SELECT action, status FROM provisioning_logs WHERE request_id = $1 AND target_user_id IS NOT NULL ORDER BY operation_index`, [status.id])
  t.strictSame(followUps.map(row => [row.action, row.status]), [['delete', 'success'], ['delete', 'success'], ['delete', 'success']], 'each applied delete is logged')
  t.equal(sent.length, (await notifications(job)).length, 'no further notification')
})

t.test('a restart without ForceDeletes discards staged deletes', async t => {
  const job = await createJob(app, { settings: { deleteThreshold: 1 } })
  await run(app, job, [post(person('X1')), post(person('X2'))])
  await run(app, job, [del('X1'), del('X2')])
  t.equal((await jobResource(job)).status.quarantine.reason, 'TooManyDeletes')
  t.equal((await control(job, 'restart', { criteria: { resetScope: 'Watermark,QuarantineState' } })).statusCode, 204)
  t.notOk(await live(job, 'X1'))
  t.ok(await live(job, 'X2'), 'the staged delete was discarded')
  const { rows } = await db.query('SELECT resolution FROM staged_operations WHERE job_id = $1', [job.jobId])
  t.strictSame(rows.map(row => row.resolution), ['discarded'])
})

t.test('disables count against the delete threshold too', async t => {
  const job = await createJob(app, { settings: { deleteThreshold: 1 } })
  await run(app, job, [post(person('Y1')), post(person('Y2'))])
  const status = await run(app, job, [post(person('Y1', { active: false })), post(person('Y2', { active: false }))])
  t.strictSame(status.operations.map((op: any) => [op.action, op.status]), [['disable', 'success'], ['stagedDelete', 'skipped']])
})

t.test('with the delete threshold off, every delete is applied', async t => {
  const job = await createJob(app, { settings: { deleteThreshold: 1, deleteThresholdEnabled: false } })
  await run(app, job, [post(person('E1')), post(person('E2')), post(person('E3'))])
  const status = await run(app, job, [del('E1'), del('E2'), del('E3')])
  t.strictSame(status.operations.map((op: any) => op.action), ['delete', 'delete', 'delete'])
  t.equal((await jobResource(job)).status.code, 'Active')
})

t.test('too large a share of failures once the minimum is reached quarantines the job', async t => {
  const job = await createJob(app, { settings: { failureThresholdMinimum: 10, failureThresholdPercent: 40 } })
  // 5 of 10 fail (a domain the directory does not have): 50 % > 40 %.
  const ops = Array.from({ length: 10 }, (_, i) => post(i % 2 === 0 ? person(`F${i}`) : { ...person(`F${i}`), userName: `f${i}@fabrikam.com` }))
  const status = await run(app, job, ops)
  t.equal(status.operations.filter((op: any) => op.status === 'failure').length, 5)
  const quarantined = await jobResource(job)
  t.equal(quarantined.status.quarantine.reason, 'EncounteredEscrowProportionThreshold')
  t.match(quarantined.status.quarantine.error.message, /5 of the 10/)
  t.equal((await control(job, 'restart')).statusCode, 204, 'a restart without a body uses Full')
  t.equal((await jobResource(job)).status.code, 'Active')
})

t.test('below the minimum, failures do not quarantine', async t => {
  const job = await createJob(app, { settings: { failureThresholdMinimum: 100 } })
  await run(app, job, [post({ ...person('G1'), userName: 'g1@fabrikam.com' })])
  t.equal((await jobResource(job)).status.code, 'Active')
})

t.test('restart purges what waits, visibly, and accepted = completed + purged + waiting always holds', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('R1'))])
  t.equal((await control(job, 'pause')).statusCode, 204)
  const waiting = []
  for (let i = 0; i < 4; i++) waiting.push(await accept(app, job, bulk([post(person(`W${i}`)), post(person(`V${i}`))])))
  const before = await statistics(job)
  t.match(before.requests, { accepted: 5, completed: 1, purged: 0, waiting: 4, waitingOperations: 8 })
  t.type(before.requests.oldestWaitingSince, 'string')

  t.equal((await control(job, 'restart', { criteria: { resetScope: 'Full' } })).statusCode, 204)
  const after = await statistics(job)
  t.match(after.requests, { accepted: 5, completed: 1, purged: 4, waiting: 0, oldestWaitingSince: null })
  for (const requestId of waiting) {
    const status = await app.inject({ method: 'GET', url: `${job.jobUrl}/bulkUploads/${requestId}`, headers: auth() })
    t.equal(status.json().state, 'purged')
    t.ok(status.json().operations.every((op: any) => op.status === 'purged'), 'each operation says purged')
  }
  const restartAudit = await db.query(`SELECT additional_details FROM directory_audits WHERE job_id = $1 AND activity = 'Restart synchronization job'`, [job.jobId])
  t.match(restartAudit.rows[0].additional_details, [{ key: 'resetScope', value: 'Full' }, { key: 'purgedRequests', value: '4' }, { key: 'purgedOperations', value: '8' }])

  const later = await accept(app, job, bulk([post(person('L1'))]))
  await waitForRequest(app, job, later)
  t.ok(await live(job, 'L1'), 'after the restart the job runs')
  const final = await statistics(job)
  t.equal(final.requests.accepted, final.requests.completed + final.requests.purged + final.requests.waiting)
})

t.test('statistics after a mixed workload agree with the provisioning log', async t => {
  const job = await createJob(app)
  await run(app, job, [post(person('S1')), post(person('S2')), post(person('S3')), post({ ...person('S4'), userName: 's4@fabrikam.com' })])
  await run(app, job, [post(person('S1', { title: 'Chef' })), post(person('S2')), del('S3'), del('NOBODY'), post(person('S2', { active: false }))])
  const stats = await statistics(job)
  const { rows } = await db.query(
    `SELECT action, status, count(*)::int AS n FROM provisioning_logs WHERE job_id = $1 AND target_user_id IS NULL GROUP BY action, status`, [job.jobId])
  for (const row of rows) t.equal(stats.toDate[row.action][row.status], row.n, `${row.action}/${row.status}`)
  t.equal(stats.toDate.create.success, 3)
  t.equal(stats.toDate.create.failure, 1)
  t.equal(stats.toDate.update.success, 1)
  t.equal(stats.toDate.other.skipped, 1)
  t.equal(stats.toDate.delete.success, 1)
  t.equal(stats.toDate.delete.skipped, 1)
  t.equal(stats.toDate.disable.success, 1)
  t.equal(stats.users, 2, 'live users the job created')
  const cycle = stats.currentCycle ?? stats.lastCycle
  t.type(cycle.id, 'string')
  const status = (await jobResource(job)).status
  t.type(status.lastExecution.timeBegan, 'string')
  t.strictSame(status.synchronizedEntryCountByType, [{ key: 'User', value: 2 }])
})

t.test('a refused transition answers 409 and is audited as a failure', async t => {
  const job = await createJob(app, { start: false })
  await db.query(`UPDATE sync_jobs SET status_code = 'NotConfigured' WHERE id = $1`, [job.jobId])
  for (const action of ['start', 'pause', 'restart'] as const) {
    const response = await control(job, action)
    t.equal(response.statusCode, 409, action)
    t.equal(response.json().error.code, 'Conflict')
    t.match(response.json().error.message, /not configured/)
  }
  t.strictSame((await audits(job)).map(entry => entry.result), ['failure', 'failure', 'failure'])
  const upload = await app.inject({ method: 'POST', url: job.uploadUrl, headers: { ...auth(), 'content-type': 'application/scim+json' }, payload: JSON.stringify(bulk([post(person('NC1'))])) })
  t.equal(upload.statusCode, 409, 'a job that is not configured accepts no uploads')
  t.equal(upload.json().error.code, 'JobNotConfigured')
})

t.test('restart refuses an unknown reset scope with 400', async t => {
  const job = await createJob(app)
  for (const resetScope of ['Everything', 'Full,', '', 'Full;DROP TABLE sync_jobs']) {
    const response = await control(job, 'restart', { criteria: { resetScope } })
    t.equal(response.statusCode, 400, JSON.stringify(resetScope))
  }
  t.equal((await control(job, 'restart', { criteria: { resetScope: 'Escrows, ForceDeletes' } })).statusCode, 204, 'combinations are accepted')
})

t.test('provisionOnDemand answers a clear 400', async t => {
  const job = await createJob(app)
  const response = await app.inject({ method: 'POST', url: `${job.jobUrl}/provisionOnDemand`, headers: auth(), payload: {} })
  t.equal(response.statusCode, 400)
  t.equal(response.json().error.code, 'ProvisionOnDemandNotSupported')
  t.match(response.json().error.message, /bulk request/)
})

t.test('settings: read with defaults, changed and audited with old and new values, bad values refused', async t => {
  const job = await createJob(app, { start: false })
  const read = await app.inject({ method: 'GET', url: `${job.jobUrl}/settings`, headers: auth() })
  t.strictSame(read.json(), {
    notificationEmail: 'identity-ops@contoso.com',
    sendEmailOnFailure: false,
    deleteThresholdEnabled: true,
    deleteThreshold: 500,
    failureThresholdPercent: 40,
    failureThresholdMinimum: 5000,
    skipOutOfScopeDeletions: false,
    maxOperations: 1000,
    maxPayloadBytes: 5 * 1024 * 1024,
    maxRequestsPerSecond: null,
    maxBacklogOperations: null
  })
  const patched = await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: { deleteThreshold: 20, sendEmailOnFailure: true } })
  t.equal(patched.statusCode, 204)
  const { rows: [entry] } = await db.query(
    `SELECT modified_properties FROM directory_audits WHERE job_id = $1 AND activity = 'Update synchronization job settings' ORDER BY activity_at DESC LIMIT 1`, [job.jobId])
  t.strictSame(entry.modified_properties, [
    { displayName: 'deleteThreshold', oldValue: '500', newValue: '20' },
    { displayName: 'sendEmailOnFailure', oldValue: 'false', newValue: 'true' }
  ])
  for (const bad of [{ notificationEmail: 'nope' }, { deleteThreshold: 0 }, { failureThresholdPercent: 101 }, { sendEmailOnFailure: 'yes' }, { unknownSetting: 1 }, {}]) {
    const response = await app.inject({ method: 'PATCH', url: `${job.jobUrl}/settings`, headers: auth(), payload: bad })
    t.equal(response.statusCode, 400, JSON.stringify(bad))
  }
})

t.test('with sendEmailOnFailure, a cycle that ends with failures leaves a digest in the outbox', async t => {
  const job = await createJob(app, { settings: { sendEmailOnFailure: true } })
  await run(app, job, [post(person('H1')), post({ ...person('H2'), userName: 'h2@fabrikam.com' })])
  const digest = await waitFor('failure digest', async () => (await notifications(job)).find(n => n.kind === 'failureDigest'))
  t.match(digest.body, /H2/)
  t.equal(digest.recipient, 'identity-ops@contoso.com')
})

t.test('deleting an app with waiting requests is refused; once purged it is deleted and audited', async t => {
  const job = await createJob(app, { start: false })
  await accept(app, job, bulk([post(person('Z1'))]))
  const spUrl = `/servicePrincipals/${job.servicePrincipalId}`
  const refused = await app.inject({ method: 'DELETE', url: spUrl, headers: auth() })
  t.equal(refused.statusCode, 409)
  t.match(refused.json().error.message, /restart/)
  t.equal((await control(job, 'restart')).statusCode, 204)
  t.equal((await control(job, 'pause')).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: spUrl, headers: auth() })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: spUrl, headers: auth() })).statusCode, 404)
  const { rows } = await db.query(`SELECT activity, result FROM directory_audits WHERE target_id = $1 ORDER BY activity_at`, [job.servicePrincipalId])
  t.strictSame(rows.map(row => [row.activity, row.result]), [['Add service principal', 'success'], ['Delete service principal', 'failure'], ['Delete service principal', 'success']])
})

t.test('maxRequestsPerSecond: uploads above the job\'s rate get 429 with Retry-After, and are accepted again a second later', async t => {
  const job = await createJob(app, { start: false, settings: { maxRequestsPerSecond: 2 } })
  const answers = []
  for (let i = 0; i < 4; i++) {
    answers.push(await app.inject({ method: 'POST', url: job.uploadUrl, headers: { ...auth(), 'content-type': 'application/scim+json' }, payload: JSON.stringify(bulk([post(person(`RL${i}`))])) }))
  }
  t.strictSame(answers.map(answer => answer.statusCode), [202, 202, 429, 429])
  t.equal(answers[2]!.headers['retry-after'], '1')
  t.equal(answers[2]!.json().error.code, 'TooManyRequests')
  t.match(answers[2]!.json().error.message, /maxRequestsPerSecond/)
  await sleep(1100)
  const later = await app.inject({ method: 'POST', url: job.uploadUrl, headers: { ...auth(), 'content-type': 'application/scim+json' }, payload: JSON.stringify(bulk([post(person('RL9'))])) })
  t.equal(later.statusCode, 202)
  const { rows } = await db.query('SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1', [job.jobId])
  t.equal(rows[0].n, 3, 'refused uploads were not stored')
})
