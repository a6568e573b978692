import { randomUUID } from 'node:crypto'
import t from 'tap'
import { MAX_ATTEMPTS } from '../../src/provisioning/process-batch.js'
import { BATCH_OPERATIONS } from '../../src/provisioning/process-pending.js'
import { waitForRequest } from '../helpers/service.js'
import {
  ENTERPRISE, accept, bulk, changes, createJob, del, jobLogRows, logRows, outcomes, pauseJob, post, provisioningFixture, run,
  startJob, userByEmployeeId, waitFor, type LogRow, type OperationSpec, type ProvisioningJob
} from '../helpers/provisioning.js'
import type { Db } from '../../src/db/pool.js'

// Batches: consecutive waiting requests of a job applied together in one transaction.
// - a batch gives exactly what one-by-one processing gives (directory, log, old values);
// - bulkId references stay scoped to their own request inside a batch;
// - a backlog larger than one batch is split at BATCH_OPERATIONS and stays in order
//   (later batches are prepared while the previous one is in PostgreSQL);
// - a request that can no longer be processed fails alone, after MAX_ATTEMPTS, without
//   failing its neighbours.
// The sweeper runs often (it is what brings a request with no queue item of its own, and a
// request whose queue item ran out of retries, back to the worker).
const { app, db } = await provisioningFixture(t, { SWEEP_INTERVAL_MS: 200, SWEEP_GRACE_MS: 300 })

const person = (externalId: string, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}`, title, ...extra })

const managedBy = (manager: string): Record<string, unknown> => ({ [ENTERPRISE]: { manager: { value: manager } } })

type Outcome = [string, string, string, string | null]

interface PlannedRequest {
  operations: OperationSpec[]
  /** [externalId, action, status, errorCode] of each operation, as one-by-one processing gives them. */
  expected: Outcome[]
}

/**
 * 30 requests touching overlapping users, for a directory already holding P1 (title v0),
 * P2, P3 and P4 (title p0): P1's title changes in every request; each request creates C<i>
 * and updates C<i-1>; P2 is deleted (5) and restored (6); C3 is deleted (20); P3 renames
 * away from p3@ (10), which the new user N1 then takes (11), while N2 cannot take P3's new
 * name (12); P4 renames away from p4@ (15), which P1 then takes (16) — P1 is written first
 * in the batch, so the directory's unique index only holds if P4's old name is released.
 */
function overlappingRequests (): PlannedRequest[] {
  const requests: PlannedRequest[] = []
  for (let i = 1; i <= 30; i++) {
    const request: PlannedRequest = {
      operations: [post({ externalId: 'P1', title: `v${i}` }), post(person(`C${i}`, 'first'))],
      expected: [['P1', 'update', 'success', null], [`C${i}`, 'create', 'success', null]]
    }
    if (i > 1) {
      request.operations.push(post({ externalId: `C${i - 1}`, title: 'second' }))
      request.expected.push([`C${i - 1}`, 'update', 'success', null])
    }
    requests.push(request)
  }
  const also = (i: number, operation: OperationSpec, expected: Outcome): void => {
    requests[i - 1]!.operations.push(operation)
    requests[i - 1]!.expected.push(expected)
  }
  also(5, del('P2'), ['P2', 'delete', 'success', null])
  also(6, post(person('P2', 'restored')), ['P2', 'update', 'success', null])
  also(10, post({ externalId: 'P3', userName: 'p3.renamed@contoso.com' }), ['P3', 'update', 'success', null])
  also(11, post(person('N1', 'new', { userName: 'p3@contoso.com' })), ['N1', 'create', 'success', null])
  also(12, post(person('N2', 'new', { userName: 'p3.renamed@contoso.com' })), ['N2', 'create', 'failure', 'EntryConflict'])
  also(15, post({ externalId: 'P4', userName: 'p4.renamed@contoso.com' }), ['P4', 'update', 'success', null])
  also(16, post({ externalId: 'P1', userName: 'p4@contoso.com' }), ['P1', 'update', 'success', null])
  also(20, del('C3'), ['C3', 'delete', 'success', null])
  return requests
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/

/** The log rows of each request, with object ids replaced by the employeeId they stand for and times by a placeholder. */
async function comparableLog (job: ProvisioningJob, requestIds: string[]): Promise<unknown[]> {
  const { rows: users } = await db.query('SELECT id, employee_id FROM directory_users WHERE directory_id = $1', [job.directoryId])
  const employeeIdOf = new Map(users.map(user => [user.id as string, user.employee_id as string]))
  const text = (value: string | null): string | null => value === null
    ? null
    : value.replace(UUID, id => `<user ${employeeIdOf.get(id) ?? '?'}>`).replace(new RegExp(ISO_TIME, 'g'), '<time>')
  const comparable = (row: LogRow): unknown => ({
    operation: row.operation_index,
    source: row.source_id,
    action: row.action,
    status: row.status,
    errorCode: row.error_code,
    reason: text(row.reason),
    target: text(row.target_id),
    changes: Object.fromEntries(Object.entries(changes(row)).map(([name, [before, after]]) => [name, [text(before), text(after)]])),
    steps: row.steps.map(step => [step.provisioningStepType, step.status, text(step.description)])
  })
  const out: unknown[] = []
  for (const requestId of requestIds) out.push((await logRows(db, requestId)).map(comparable))
  return out
}

async function directoryState (job: ProvisioningJob): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT u.employee_id, u.user_principal_name, u.mail_nickname, u.display_name, u.job_title, u.account_enabled,
       u.deleted_at IS NOT NULL AS deleted, m.employee_id AS manager
     FROM directory_users u LEFT JOIN directory_users m ON m.id = u.manager_id
     WHERE u.directory_id = $1 ORDER BY u.employee_id`, [job.directoryId])
  return rows
}

async function requestRow (database: Db, id: string): Promise<{ state: string, attempts: number, last_error: string | null, completed_at: Date | null, cycle_id: string | null }> {
  const { rows: [row] } = await database.query('SELECT state, attempts, last_error, completed_at, cycle_id FROM bulk_requests WHERE id = $1', [id])
  return row
}

t.test('30 waiting requests on overlapping users, applied in one batch, give exactly what one-by-one processing gives', async t => {
  const planned = overlappingRequests()
  const operationCount = planned.reduce((sum, request) => sum + request.operations.length, 0)
  t.ok(operationCount <= BATCH_OPERATIONS, 'the whole backlog fits in one batch')
  const existing = [post(person('P1', 'v0')), post(person('P2', 'p0')), post(person('P3', 'p0')), post(person('P4', 'p0'))]

  // The batched job: P1–P4 provisioned, then the job paused while the 30 requests arrive.
  const job = await createJob(app)
  await run(app, job, existing)
  const p2 = await userByEmployeeId(app, job, 'P2')
  const p3 = await userByEmployeeId(app, job, 'P3')
  await pauseJob(app, job)
  const requestIds: string[] = []
  for (const request of planned) requestIds.push(await accept(app, job, bulk(request.operations)))
  await startJob(app, job)
  await waitForRequest(app, job, requestIds.at(-1)!, 30_000)

  // They were applied as one batch: one transaction, one completion time, one activity time.
  const { rows: [batch] } = await db.query(
    `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed, count(DISTINCT completed_at)::int AS completion_times,
       count(DISTINCT cycle_id)::int AS cycles FROM bulk_requests WHERE id = ANY($1::uuid[])`, [requestIds])
  t.strictSame(batch, { completed: 30, completion_times: 1, cycles: 1 }, 'the 30 requests completed together')
  const { rows: [activity] } = await db.query('SELECT count(DISTINCT activity_at)::int AS n FROM provisioning_logs WHERE request_id = ANY($1::uuid[])', [requestIds])
  t.equal(activity.n, 1, 'their log rows were written by one batch')

  // Each operation's outcome, in its own request's status resource.
  for (const [k, request] of planned.entries()) {
    const status = await waitForRequest(app, job, requestIds[k]!)
    t.strictSame(outcomes(status), request.expected, `outcomes of request ${k + 1}`)
  }

  // Exactly one log row per operation, under its own request, in acceptance order.
  const rows = (await jobLogRows(db, job.jobId)).filter(row => requestIds.includes(row.request_id))
  const expectedRows = planned.flatMap((request, k) => request.expected.map((outcome, index) => [requestIds[k], index, outcome[0]]))
  t.strictSame(rows.map(row => [row.request_id, row.operation_index, row.source_id]), expectedRows, 'one log row per operation, with its request id')
  t.equal(rows.length, operationCount)

  // Old values are those left by the previous request (and the previous operation).
  const rowsOf = (request: number, externalId: string): LogRow[] => rows.filter(row => row.request_id === requestIds[request - 1] && row.source_id === externalId)
  const rowOf = (request: number, externalId: string): LogRow => rowsOf(request, externalId)[0]!
  for (let i = 1; i <= 30; i++) t.strictSame(changes(rowOf(i, 'P1')), { jobTitle: [`v${i - 1}`, `v${i}`] }, `request ${i} saw request ${i - 1}'s title of P1`)
  for (let i = 2; i <= 30; i++) t.strictSame(changes(rowOf(i, `C${i - 1}`)), { jobTitle: ['first', 'second'] }, `request ${i} updated the C${i - 1} of request ${i - 1}`)
  const deletedAt = changes(rowOf(5, 'P2')).deletedDateTime
  t.equal(deletedAt?.[0], null)
  t.match(deletedAt?.[1], ISO_TIME)
  t.strictSame(changes(rowOf(6, 'P2')), { jobTitle: ['p0', 'restored'], deletedDateTime: [deletedAt![1], null] }, 'the restore saw the delete of request 5')
  t.strictSame(changes(rowOf(10, 'P3')), { userPrincipalName: ['p3@contoso.com', 'p3.renamed@contoso.com'], mailNickname: ['p3', 'p3.renamed'] })
  t.strictSame(changes(rowOf(11, 'N1')).userPrincipalName, [null, 'p3@contoso.com'], 'N1 took the name P3 gave up in request 10')
  t.match(rowOf(12, 'N2').reason, /p3\.renamed@contoso\.com' is already used .*employeeId 'P3'/)
  t.strictSame(changes(rowOf(15, 'P4')), { userPrincipalName: ['p4@contoso.com', 'p4.renamed@contoso.com'], mailNickname: ['p4', 'p4.renamed'] })
  t.strictSame(changes(rowsOf(16, 'P1')[1]!), { userPrincipalName: ['p1@contoso.com', 'p4@contoso.com'], mailNickname: ['p1', 'p4'] }, 'P1 took the name P4 gave up in request 15')

  // Final state of the directory.
  const p1 = await userByEmployeeId(app, job, 'P1')
  t.equal(p1.jobTitle, 'v30')
  t.equal(p1.userPrincipalName, 'p4@contoso.com')
  t.equal((await userByEmployeeId(app, job, 'P4')).userPrincipalName, 'p4.renamed@contoso.com')
  const restored = await userByEmployeeId(app, job, 'P2')
  t.equal(restored.id, p2.id, 'P2 restored with its object id')
  t.equal(restored.deletedDateTime, null)
  t.equal(restored.jobTitle, 'restored')
  const renamed = await userByEmployeeId(app, job, 'P3')
  t.equal(renamed.id, p3.id)
  t.equal(renamed.userPrincipalName, 'p3.renamed@contoso.com')
  t.equal((await userByEmployeeId(app, job, 'N1')).userPrincipalName, 'p3@contoso.com')
  t.equal(await userByEmployeeId(app, job, 'N2'), undefined, 'N2 was not created')
  for (let i = 1; i <= 30; i++) {
    const user = await userByEmployeeId(app, job, `C${i}`)
    t.equal(user.jobTitle, i === 30 ? 'first' : 'second', `C${i}`)
    t.equal(user.deletedDateTime !== null, i === 3, `C${i} ${i === 3 ? 'deleted' : 'live'}`)
  }

  // The same requests sent one at a time to another job (each its own batch) give the same
  // log, operation by operation, and the same directory.
  const reference = await createJob(app)
  await run(app, reference, existing)
  const referenceIds: string[] = []
  for (const request of planned) referenceIds.push((await run(app, reference, request.operations)).id)
  const { rows: [separate] } = await db.query('SELECT count(DISTINCT completed_at)::int AS n FROM bulk_requests WHERE id = ANY($1::uuid[])', [referenceIds])
  t.equal(separate.n, 30, 'the reference requests were processed one by one')
  t.strictSame(await comparableLog(job, requestIds), await comparableLog(reference, referenceIds), 'the same log as one-by-one processing')
  t.strictSame(await directoryState(job), await directoryState(reference), 'the same directory as one-by-one processing')
})

t.test('bulkId references inside a batch resolve within their own request', async t => {
  const job = await createJob(app, { start: false })
  // The same bulkId "mgr" in both requests: a report before its manager in the first, after it in the second.
  const first = await accept(app, job, bulk([post(person('R1', 'report', managedBy('bulkId:mgr')), 'report'), post(person('M1', 'manager'), 'mgr')]))
  const second = await accept(app, job, bulk([post(person('M2', 'manager'), 'mgr'), post(person('R2', 'report', managedBy('bulkId:mgr')), 'report')]))
  await startJob(app, job)
  await waitForRequest(app, job, second)
  await waitForRequest(app, job, first)
  t.strictSame((await requestRow(db, first)).completed_at, (await requestRow(db, second)).completed_at, 'both requests were applied in one batch')

  const m1 = await userByEmployeeId(app, job, 'M1')
  const m2 = await userByEmployeeId(app, job, 'M2')
  t.strictSame((await userByEmployeeId(app, job, 'R1')).manager, { id: m1.id }, 'R1 reports to the "mgr" of its own request')
  t.strictSame((await userByEmployeeId(app, job, 'R2')).manager, { id: m2.id }, 'R2 reports to the "mgr" of its own request')
  const [r1Row] = await logRows(db, first)
  const [, r2Row] = await logRows(db, second)
  t.equal(r1Row!.source_id, 'R1')
  t.strictSame(changes(r1Row!).manager, [null, m1.id])
  t.equal(r2Row!.source_id, 'R2')
  t.strictSame(changes(r2Row!).manager, [null, m2.id])
  t.equal((await logRows(db, first)).length + (await logRows(db, second)).length, 4, 'no reference-resolution rows: both links were made by the reports\' own operations')
})

t.test('a backlog larger than one batch is applied in batches of at most BATCH_OPERATIONS operations, in order', async t => {
  // Its own service with the sweeper off: only the last request keeps its queue item, so one
  // worker call takes the whole backlog batch after batch, each prepared ahead of its turn.
  const own = await provisioningFixture(t, { SWEEP_INTERVAL_MS: 3_600_000 })
  const job = await createJob(own.app, { start: false })
  const perRequest = 50
  const requestCount = 2 * Math.floor(BATCH_OPERATIONS / perRequest) + 1
  const requestIds: string[] = []
  for (let i = 1; i <= requestCount; i++) {
    const operations = [post(i === 1 ? person('P', 'v1') : { externalId: 'P', title: `v${i}` })]
    for (let j = 1; j < perRequest; j++) operations.push(post(person(`F${i}-${j}`, `t${i}`)))
    requestIds.push(await accept(own.app, job, bulk(operations)))
  }
  await own.app.queues.get(job.jobId).obliterate({ force: true })
  await startJob(own.app, job)
  await own.app.queues.enqueue({ requestId: requestIds.at(-1)!, jobId: job.jobId, acceptedAt: Date.now() })
  await waitForRequest(own.app, job, requestIds.at(-1)!, 60_000)

  const { rows: requests } = await own.db.query(
    'SELECT id, state, operation_count, completed_at FROM bulk_requests WHERE job_id = $1 ORDER BY sequence', [job.jobId])
  t.strictSame(requests.map(row => row.state), Array(requestCount).fill('completed'), 'all applied from one queue item')
  // Batches, told apart by their completion time, in acceptance order.
  const batches: Array<{ at: number, operations: number, requests: number }> = []
  for (const row of requests) {
    const at = (row.completed_at as Date).getTime()
    if (batches.at(-1)?.at === at) {
      batches.at(-1)!.operations += row.operation_count
      batches.at(-1)!.requests++
    } else {
      batches.push({ at, operations: row.operation_count, requests: 1 })
    }
  }
  t.ok(batches.length >= 3, `several batches (${batches.map(batch => batch.requests).join(', ')} requests)`)
  t.ok(batches.every((batch, k) => k === 0 || batch.at > batches[k - 1]!.at), 'each request completed with its neighbours or after them')
  t.equal(new Set(batches.map(batch => batch.at)).size, batches.length, 'a batch is a run of consecutive requests')
  for (const [k, batch] of batches.entries()) {
    t.ok(batch.operations <= BATCH_OPERATIONS, `batch ${k + 1} holds ${batch.operations} operations, within the budget`)
    if (k < batches.length - 1) t.ok(batch.operations + perRequest > BATCH_OPERATIONS, `batch ${k + 1} was filled before the next began`)
  }

  t.equal((await userByEmployeeId(own.app, job, 'P')).jobTitle, `v${requestCount}`)
  const { rows: users } = await own.db.query('SELECT count(*)::int AS n FROM directory_users WHERE directory_id = $1', [job.directoryId])
  t.equal(users[0].n, 1 + requestCount * (perRequest - 1), 'every user created once')
  const rows = await jobLogRows(own.db, job.jobId)
  t.equal(rows.length, requestCount * perRequest, 'one log row per operation')
  const pRows = rows.filter(row => row.source_id === 'P')
  t.strictSame(pRows.map(row => row.request_id), requestIds, 'P\'s operations logged under their own requests, in acceptance order')
  for (let i = 2; i <= requestCount; i++) {
    t.strictSame(changes(pRows[i - 1]!), { jobTitle: [`v${i - 1}`, `v${i}`] }, `request ${i} saw request ${i - 1}'s title, across batch boundaries too`)
  }
  const misplaced = rows.filter(row => row.source_id !== 'P' && row.request_id !== requestIds[Number(/^F(\d+)-/.exec(row.source_id!)![1]) - 1])
  t.equal(misplaced.length, 0, 'every operation logged under the request that carried it')
})

t.test('a stored request that no longer validates fails alone, after MAX_ATTEMPTS, without failing its neighbours', async t => {
  const job = await createJob(app, { start: false })
  const before = await accept(app, job, bulk([post(person('A1', 'a')), post(person('A2', 'a'))]))
  // Accepted by an earlier version whose rules allowed it: today's refuse a lone surrogate in
  // text, so it cannot be prepared any more. It has no queue item: the worker reaches it
  // through its neighbours' processing and the sweeper.
  const broken = randomUUID()
  const payload = JSON.stringify(bulk([post(person('B1', 'b', { displayName: 'Bad\ud800Name' })), del('A2'), post(person('B3', 'b'), 'b3')]))
  await db.query('INSERT INTO bulk_requests (id, job_id, payload, operation_count, client_id) VALUES ($1, $2, $3, 3, $4)', [broken, job.jobId, payload, 'older-version'])
  const after = await accept(app, job, bulk([post({ externalId: 'A1', title: 'c' }), post(person('C1', 'c'))]))
  const started = Date.now()
  await startJob(app, job)

  // The request before it is applied at once, not held back by its neighbour's retries.
  await waitFor('the request before it to be applied', async () => (await requestRow(db, before)).state === 'completed' ? true : undefined, 5_000)
  t.comment(`the request before it completed ${Date.now() - started} ms after the start`)
  t.equal((await requestRow(db, before)).attempts, 1, 'the failed batch it was part of is not counted against it')
  t.equal((await requestRow(db, before)).last_error, null, 'nor leaves its error on it')
  t.equal((await userByEmployeeId(app, job, 'A1')).jobTitle, 'a')

  await waitFor('the broken request to fail for good', async () => (await requestRow(db, broken)).state === 'completed' ? true : undefined, 60_000)
  t.comment(`the broken request failed for good ${Date.now() - started} ms after the start`)
  const failed = await requestRow(db, broken)
  t.equal(failed.attempts, MAX_ATTEMPTS + 1, `${MAX_ATTEMPTS} failed attempts, then the one that recorded the failure`)
  t.match(failed.last_error, /no longer validates: .*surrogate/, 'last_error says why')
  const entries = await logRows(db, broken)
  t.strictSame(entries.map(row => [row.operation_index, row.method, row.source_id, row.action, row.status, row.error_code]), [
    [0, 'POST', 'B1', 'other', 'failure', 'InternalError'],
    [1, 'DELETE', 'A2', 'other', 'failure', 'InternalError'],
    [2, 'POST', 'B3', 'other', 'failure', 'InternalError']
  ], 'each of its operations logged once, as failed')
  t.equal(entries[0]!.source_display_name, 'Bad\ufffdName', 'the unstorable text is replaced in its log entry')
  t.equal(entries[2]!.bulk_id, 'b3')
  for (const entry of entries) t.match(entry.reason, new RegExp(`failed ${MAX_ATTEMPTS} times.*no longer validates`))
  t.equal(await userByEmployeeId(app, job, 'B1'), undefined, 'none of its operations was applied')
  t.equal(await userByEmployeeId(app, job, 'B3'), undefined)
  t.equal((await userByEmployeeId(app, job, 'A2')).deletedDateTime, null, 'its DELETE was not applied')

  // The request after it waits for it (acceptance order), then is applied, not failed.
  await waitFor('the request after it to be applied', async () => (await requestRow(db, after)).state === 'completed' ? true : undefined, 10_000)
  const next = await requestRow(db, after)
  t.equal(next.attempts, 1, 'the failed batches it was part of are not counted against it')
  t.equal(next.last_error, null)
  const nextRows = await logRows(db, after)
  t.strictSame(nextRows.map(row => [row.source_id, row.action, row.status]), [['A1', 'update', 'success'], ['C1', 'create', 'success']])
  t.strictSame(changes(nextRows[0]!), { jobTitle: ['a', 'c'] })
  t.equal((await userByEmployeeId(app, job, 'A1')).jobTitle, 'c')
  t.ok((await userByEmployeeId(app, job, 'C1')) !== undefined)

  const first = (await requestRow(db, before)).completed_at!.getTime()
  t.ok(first < failed.completed_at!.getTime(), 'the request before it completed before its retries were over')
  t.ok(failed.completed_at!.getTime() <= next.completed_at!.getTime(), 'the request after it completed after it')
})
