import t from 'tap'
import { createPool } from '../../src/db/pool.js'
import { setStatus } from '../../src/jobs/repository.js'
import { processPendingRequests } from '../../src/provisioning/process-pending.js'
import { buildService, bulkRequest, createJob, scimUser, upload, waitForRequest } from '../helpers/service.js'

/**
 * The job's state in PostgreSQL is what decides: even when a queue item reaches a worker
 * (a queue resumed a moment too early, a Redis that forgot it was paused), a paused job's
 * requests are not processed, and nothing is lost.
 */
t.test('a queue item for a job that is not Active processes nothing and leaves the request waiting', async t => {
  const service = await buildService(t)
  const job = await createJob(service.app, { start: false })
  const accepted = await upload(service.app, job, bulkRequest([scimUser('p1')]))
  const requestId = accepted.headers['request-id'] as string
  const db = createPool(service.config.DATABASE_URL!, 2)
  t.teardown(() => db.end())

  t.same(await processPendingRequests(db, job.jobId, requestId), { processed: 0, jobInactive: true }, 'never started')
  await setStatus(db, job.jobId, 'Paused')
  t.same(await processPendingRequests(db, job.jobId, requestId), { processed: 0, jobInactive: true }, 'paused')
  const { rows: [request] } = await db.query('SELECT state, attempts FROM bulk_requests WHERE id = $1', [requestId])
  t.same(request, { state: 'queued', attempts: 0 }, 'untouched')

  await setStatus(db, job.jobId, 'Active')
  t.same(await processPendingRequests(db, job.jobId, requestId), { processed: 1, jobInactive: false })
  t.equal((await waitForRequest(service.app, job, requestId)).operations[0].status, 'success')
})
