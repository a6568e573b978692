import t from 'tap'
import { createPool } from '../../src/db/pool.js'
import { setStatus } from '../../src/jobs/repository.js'
import { API2AAD_DEFAULT_SCHEMA } from '../../src/mapping/api2aad-defaults.js'
import { compileSchema } from '../../src/mapping/compiled-schema.js'
import { PreparedRequests } from '../../src/provisioning/prepared-requests.js'
import { BATCH_OPERATIONS, processPendingRequests } from '../../src/provisioning/process-pending.js'
import { buildService, bulkRequest, createJob, scimUser, upload } from '../helpers/service.js'

/**
 * With requests as large as a batch, each queue item's call processes one batch; the next
 * request is read and prepared during that call and must be there for the next call, which
 * takes it instead of reading and parsing it again.
 */
t.test('the next batch prepared during one call is taken by the next call', async t => {
  const service = await buildService(t)
  const job = await createJob(service.app, { start: false })
  const users = (prefix: string): Array<Record<string, unknown>> =>
    Array.from({ length: BATCH_OPERATIONS }, (_, i) => scimUser(`${prefix}${i}`))
  const first = (await upload(service.app, job, bulkRequest(users('a')))).headers['request-id'] as string
  const second = (await upload(service.app, job, bulkRequest(users('b')))).headers['request-id'] as string
  const db = createPool(service.config.DATABASE_URL!, 4)
  t.teardown(() => db.end())
  await setStatus(db, job.jobId, 'Active')

  const prepared = new PreparedRequests()
  t.same(await processPendingRequests(db, job.jobId, first, { prepared }), { processed: 1, jobInactive: false }, 'one batch: the first request')
  t.strictSame(prepared.ids(), [second], 'the second request was read ahead and kept')
  prepared.prepareWaiting()
  t.same(await processPendingRequests(db, job.jobId, second, { prepared }), { processed: 1, jobInactive: false })
  t.strictSame(prepared.ids(), [], 'taken, and nothing more waits')
  const { rows } = await db.query('SELECT count(*)::int AS n FROM provisioning_logs WHERE request_id = ANY($1::uuid[]) AND status = \'success\'', [[first, second]])
  t.equal(rows[0].n, 2 * BATCH_OPERATIONS, 'every operation of both requests applied')
})

t.test('a payload that cannot be prepared fails when taken, not when prepared ahead', async t => {
  const prepared = new PreparedRequests()
  const preparation = { schema: compileSchema(API2AAD_DEFAULT_SCHEMA, 1), context: {} }
  prepared.use(preparation)
  prepared.add('good', JSON.stringify(bulkRequest([scimUser('g1')])))
  prepared.add('bad', '{"schemas": [')
  t.doesNotThrow(() => prepared.prepareWaiting(), 'preparing ahead never throws')
  t.equal(prepared.take('good', preparation)?.operations.length, 1)
  t.throws(() => prepared.take('bad', preparation), SyntaxError, 'the parse error surfaces with its batch')
  t.equal(prepared.take('bad', preparation), undefined, 'and is gone once taken')
  t.equal(prepared.take('never added', preparation), undefined)
})

t.test('a request prepared with an older schema version is not used', async t => {
  const prepared = new PreparedRequests()
  const older = { schema: compileSchema(API2AAD_DEFAULT_SCHEMA, 1), context: {} }
  prepared.use(older)
  prepared.add('r', JSON.stringify(bulkRequest([scimUser('g1')])))
  prepared.prepareWaiting()
  t.equal(prepared.take('r', { schema: compileSchema(API2AAD_DEFAULT_SCHEMA, 2), context: {} }), undefined, 'the batch prepares it again with the schema it holds')
})

t.test('a request parsed ahead is mapped with the schema its batch holds', async t => {
  const prepared = new PreparedRequests()
  const older = { schema: compileSchema(API2AAD_DEFAULT_SCHEMA, 1), context: {} }
  prepared.use(older)
  prepared.add('r', JSON.stringify(bulkRequest([scimUser('p1')])))
  prepared.add('bad', '{"schemas": [')
  t.doesNotThrow(() => prepared.parseWaiting(), 'parsing ahead never throws')
  // Parsing does not depend on the schema: a version saved since is used, not refused.
  const newer = { schema: compileSchema(API2AAD_DEFAULT_SCHEMA, 2), context: {} }
  const request = prepared.take('r', newer)
  t.equal(request?.schemaVersion, 2)
  t.equal(request?.operations[0]?.mapped.attributes.employeeId, 'p1')
  t.throws(() => prepared.take('bad', newer), SyntaxError, 'the parse error surfaces with its batch')
})
