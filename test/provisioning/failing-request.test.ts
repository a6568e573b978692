import { randomUUID } from 'node:crypto'
import t from 'tap'
import { MAX_ATTEMPTS } from '../../src/provisioning/process-batch.js'
import { accept, bulk, createJob, post, provisioningFixture, startJob, waitFor } from '../helpers/provisioning.js'

// A stored request that can no longer be applied, between good ones in one batch: those
// before it are applied at once; it fails alone, then for good after MAX_ATTEMPTS with every
// operation logged as failed; those after it wait for it, then are applied — acceptance
// order holds, and no good request pays for its neighbour's failures.
const { app, db } = await provisioningFixture(t, { SWEEP_INTERVAL_MS: 200, SWEEP_GRACE_MS: 100 })

const person = (externalId: string): Record<string, unknown> => ({ externalId, userName: `${externalId.toLowerCase()}@contoso.com`, displayName: `User ${externalId}` })

t.test('a request that fails to process: earlier ones applied, it fails for good, later ones applied after it', async t => {
  const job = await createJob(app, { start: false })
  const first = await accept(app, job, bulk([post(person('A1')), post(person('A2'))]))
  // Stored as accepted by an earlier version whose rules allowed it; today's rules refuse a
  // NUL in text, so it cannot be prepared any more.
  const broken = randomUUID()
  const payload = JSON.stringify(bulk([post({ ...person('B1'), displayName: 'Bad\u0000Name' }), post(person('B2'))]))
  await db.query('INSERT INTO bulk_requests (id, job_id, payload, operation_count, client_id) VALUES ($1, $2, $3, 2, $4)', [broken, job.jobId, payload, 'older-version'])
  const last = await accept(app, job, bulk([post(person('C1'))]))
  await startJob(app, job)

  const state = async (id: string): Promise<{ state: string, attempts: number, last_error: string | null }> =>
    (await db.query('SELECT state, attempts, last_error FROM bulk_requests WHERE id = $1', [id])).rows[0]
  await waitFor('the first request applied', async () => (await state(first)).state === 'completed' ? true : undefined, 10_000)
  t.equal((await state(first)).attempts, 1, 'the batch failure was not counted against it')
  t.equal((await state(first)).last_error, null, 'nor left its error on it')

  await waitFor('the broken request failed for good', async () => (await state(broken)).state === 'completed' ? true : undefined, 60_000)
  const failed = await state(broken)
  t.equal(failed.attempts, MAX_ATTEMPTS + 1)
  t.match(failed.last_error, /no longer validates/, 'the error that ended it is kept')
  const { rows: entries } = await db.query('SELECT operation_index, source_id, status, error_code, reason FROM provisioning_logs WHERE request_id = $1 ORDER BY operation_index', [broken])
  t.strictSame(entries.map(row => [row.operation_index, row.source_id, row.status, row.error_code]), [[0, 'B1', 'failure', 'InternalError'], [1, 'B2', 'failure', 'InternalError']], 'each operation logged once as failed')
  t.match(entries[0].reason, /no longer validates/)

  await waitFor('the last request applied', async () => (await state(last)).state === 'completed' ? true : undefined, 10_000)
  t.ok((await state(last)).attempts <= 2, 'the request after it was not failed for its neighbour')
  const { rows: users } = await db.query('SELECT employee_id FROM directory_users WHERE directory_id = $1 ORDER BY employee_id', [job.directoryId])
  t.strictSame(users.map(row => row.employee_id), ['A1', 'A2', 'C1'])
  const { rows: order } = await db.query('SELECT id FROM bulk_requests WHERE job_id = $1 ORDER BY completed_at, sequence', [job.jobId])
  t.strictSame(order.map(row => row.id), [first, broken, last], 'completed in acceptance order')
})
