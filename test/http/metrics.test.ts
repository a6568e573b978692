import t from 'tap'
import { performance } from 'node:perf_hooks'
import { auth, buildService, bulkRequest, createJob, scimUser, upload, waitForRequest, type ProvisioningJob } from '../helpers/service.js'
import { parsePrometheusText, samplesOf, valueOf, type Sample } from '../helpers/prometheus-text.js'
import { BULK_UPLOAD_PATH } from '../../src/http/routes/bulk-upload.js'
import { createPool } from '../../src/db/pool.js'
import { DatabaseGauges } from '../../src/metrics/scrape-gauges.js'
import type { FastifyInstance } from 'fastify'

const STATUS_PATH = '/servicePrincipals/:spId/synchronization/jobs/:jobId/bulkUploads/:requestId'

async function scrape (app: FastifyInstance, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers })
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}: ${response.body}`)
  return parsePrometheusText(response.body)
}

async function accept (app: FastifyInstance, job: ProvisioningJob, body: unknown, prefix = ''): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: `${prefix}${job.uploadUrl}`,
    headers: { ...auth(), 'content-type': 'application/scim+json' },
    payload: JSON.stringify(body)
  })
  if (response.statusCode !== 202) throw new Error(`upload answered ${response.statusCode}: ${response.body}`)
  return response.headers['request-id'] as string
}

t.test('after a known workload the metrics say exactly what it did', async t => {
  const testStarted = performance.now()
  // API and worker in one process, as `scim-inbound start` runs them: one registry serves both.
  const service = await buildService(t)
  const { app } = service
  await service.startWorker()

  // A started job: two uploads, 3 + 2 operations, one of which fails; the second through /v1.0.
  const active = await createJob(app)
  const first = await accept(app, active, bulkRequest([
    scimUser('1001'),
    scimUser('1002'),
    scimUser('1003', { userName: 'user1003@fabrikam.com' }) // not a verified domain: InvalidDomain
  ]))
  const second = await accept(app, active, bulkRequest([
    scimUser('1001', { title: 'Engineer' }), // update
    scimUser('1002', { active: false }) // disable
  ]), '/v1.0')
  const invalid = await upload(app, active, { schemas: [] })
  t.equal(invalid.statusCode, 400)
  await waitForRequest(app, active, first)
  await waitForRequest(app, active, second)

  // A paused job with two requests (1 + 3 operations) waiting.
  const paused = await createJob(app)
  t.equal((await app.inject({ method: 'POST', url: `${paused.jobUrl}/pause`, headers: auth() })).statusCode, 204)
  const beforeWaiting = performance.now()
  await accept(app, paused, bulkRequest([scimUser('2001')]))
  await accept(app, paused, bulkRequest([scimUser('2002'), scimUser('2003'), scimUser('2004')]))

  // Started without a notification email: quarantined.
  const quarantined = await createJob(app, { notificationEmail: null })

  t.equal((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode, 404)

  const response = await app.inject({ method: 'GET', url: '/metrics' })
  const scrapedAt = performance.now()
  t.equal(response.statusCode, 200, 'no token needed when METRICS_TOKEN is unset')
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  const samples = parsePrometheusText(response.body)

  t.test('operations processed, per action and status, as the job statistics count them', async t => {
    const processed = samplesOf(samples, 'scim_inbound_operations_processed_total')
    t.same(Object.fromEntries(processed.map(sample => [`${sample.labels.action}/${sample.labels.status}`, sample.value])), {
      'create/success': 2,
      'create/failure': 1,
      'update/success': 1,
      'disable/success': 1
    })
    const statistics = (await app.inject({ method: 'GET', url: `${active.jobUrl}/statistics`, headers: auth() })).json()
    for (const [action, statuses] of Object.entries(statistics.toDate as Record<string, Record<string, number>>)) {
      for (const [status, count] of Object.entries(statuses)) {
        t.equal(valueOf(samples, 'scim_inbound_operations_processed_total', { action, status }) ?? 0, count, `${action}/${status}`)
      }
    }
  })

  t.test('accept→commit latency: one observation per request, from received_at to completed_at', async t => {
    const { rows } = await app.db.query<{ seconds: number }>(
      'SELECT extract(epoch FROM completed_at - received_at)::float8 AS seconds FROM bulk_requests WHERE job_id = $1', [active.jobId])
    const latencies = rows.map(row => row.seconds)
    t.equal(latencies.length, 2)
    t.equal(valueOf(samples, 'scim_inbound_accept_to_commit_seconds_count'), 2)
    t.ok(Math.abs(valueOf(samples, 'scim_inbound_accept_to_commit_seconds_sum')! - (latencies[0]! + latencies[1]!)) < 1e-9, 'sum of the latencies')
    const buckets = samplesOf(samples, 'scim_inbound_accept_to_commit_seconds_bucket')
    t.ok(buckets.length > 10)
    for (const bucket of buckets) {
      const le = bucket.labels.le === '+Inf' ? Infinity : Number(bucket.labels.le)
      t.equal(bucket.value, latencies.filter(latency => latency <= le).length, `bucket le=${bucket.labels.le}`)
    }
  })

  t.test('uploads accepted per job', async t => {
    t.equal(valueOf(samples, 'scim_inbound_bulk_requests_accepted_total', { job: active.jobId }), 2)
    t.equal(valueOf(samples, 'scim_inbound_operations_accepted_total', { job: active.jobId }), 5, '3 + 2 operations accepted; the refused upload counts nothing')
    t.equal(valueOf(samples, 'scim_inbound_bulk_requests_accepted_total', { job: paused.jobId }), 2)
    t.equal(valueOf(samples, 'scim_inbound_bulk_requests_accepted_total', { job: quarantined.jobId }), undefined)
  })

  t.test('HTTP requests by route pattern and status, never by URL', async t => {
    const requests = (labels: Record<string, string>): number | undefined => valueOf(samples, 'scim_inbound_http_requests_total', labels)
    t.equal(requests({ method: 'POST', route: BULK_UPLOAD_PATH, status_code: '202' }), 3)
    t.equal(requests({ method: 'POST', route: `/v1.0${BULK_UPLOAD_PATH}`, status_code: '202' }), 1)
    t.equal(requests({ method: 'POST', route: BULK_UPLOAD_PATH, status_code: '400' }), 1)
    t.equal(requests({ method: 'GET', route: 'unmatched', status_code: '404' }), 1)
    t.equal(requests({ method: 'POST', route: '/servicePrincipals/:spId/synchronization/jobs/:jobId/pause', status_code: '204' }), 1)
    t.ok(requests({ method: 'GET', route: STATUS_PATH, status_code: '200' })! >= 2, 'status polls, under the pattern')
    t.equal(valueOf(samples, 'scim_inbound_http_request_duration_seconds_count', { method: 'POST', route: BULK_UPLOAD_PATH }), 4)
    t.equal(valueOf(samples, 'scim_inbound_http_request_duration_seconds_bucket', { method: 'POST', route: BULK_UPLOAD_PATH, le: '+Inf' }), 4)
    const routes = new Set(samples.filter(sample => sample.labels.route !== undefined).map(sample => sample.labels.route!))
    for (const route of routes) t.ok(route === 'unmatched' || !/[0-9a-f]{8}-[0-9a-f]{4}/.test(route), `${route} is a pattern`)
  })

  t.test('queue depth and oldest waiting request per job, from PostgreSQL', async t => {
    t.equal(valueOf(samples, 'scim_inbound_queue_waiting_requests', { job: paused.jobId }), 2)
    t.equal(valueOf(samples, 'scim_inbound_queue_waiting_operations', { job: paused.jobId }), 4)
    const age = valueOf(samples, 'scim_inbound_queue_oldest_waiting_age_seconds', { job: paused.jobId })!
    t.ok(age > 0 && age <= (scrapedAt - beforeWaiting) / 1000 + 0.05, `oldest waiting age ${age} s`)
    t.same(samplesOf(samples, 'scim_inbound_queue_waiting_requests').map(sample => sample.labels.job), [paused.jobId], 'jobs with nothing waiting have no series')
    t.equal(valueOf(samples, 'scim_inbound_queue_jobs_waiting'), 1)
    t.equal(valueOf(samples, 'scim_inbound_metrics_database_up'), 1)
  })

  t.test('jobs by state, and quarantine per job with its reason', async t => {
    const states = Object.fromEntries(samplesOf(samples, 'scim_inbound_jobs').map(sample => [sample.labels.state, sample.value]))
    t.same(states, { NotConfigured: 0, NotRun: 0, Active: 1, Paused: 1, Quarantine: 1 })
    t.equal(valueOf(samples, 'scim_inbound_job_quarantined', { job: quarantined.jobId, reason: 'EncounteredQuarantineException', error_code: 'NotificationEmailMissing' }), 1)
    t.equal(valueOf(samples, 'scim_inbound_job_quarantined', { job: active.jobId, reason: '', error_code: '' }), 0)
    t.equal(valueOf(samples, 'scim_inbound_job_quarantined', { job: paused.jobId, reason: '', error_code: '' }), 0)
    t.equal(samplesOf(samples, 'scim_inbound_job_quarantined').length, 3)
  })

  t.test('worker busy time, pools and the process', async t => {
    const busy = valueOf(samples, 'scim_inbound_worker_busy_seconds_total')!
    t.ok(busy > 0 && busy < (scrapedAt - testStarted) / 1000, `busy ${busy} s of ${(scrapedAt - testStarted) / 1000} s`)
    t.ok(valueOf(samples, 'scim_inbound_worker_jobs_in_progress') !== undefined)
    for (const pool of ['scim-inbound-api', 'scim-inbound-worker']) {
      const total = valueOf(samples, 'scim_inbound_db_pool_connections', { pool })!
      const idle = valueOf(samples, 'scim_inbound_db_pool_idle_connections', { pool })!
      t.ok(total >= 1 && idle <= total && total <= 10, `${pool}: ${idle} idle of ${total}`)
      t.equal(valueOf(samples, 'scim_inbound_db_pool_waiting_clients', { pool }), 0)
      t.equal(valueOf(samples, 'scim_inbound_db_pool_max_connections', { pool }), 10)
    }
    t.ok(valueOf(samples, 'process_resident_memory_bytes')! > 10_000_000)
    t.ok(valueOf(samples, 'nodejs_eventloop_lag_seconds')! >= 0)
  })
})

t.test('a job that drains leaves the queue gauges; every scrape reads PostgreSQL again', async t => {
  const service = await buildService(t)
  const { app } = service
  const job = await createJob(app, { start: false })
  const requestId = await accept(app, job, bulkRequest([scimUser('3001'), scimUser('3002')]))
  t.equal(valueOf(await scrape(app), 'scim_inbound_queue_waiting_operations', { job: job.jobId }), 2)
  t.equal((await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth() })).statusCode, 204)
  await service.startWorker()
  await waitForRequest(app, job, requestId)
  const samples = await scrape(app)
  t.equal(valueOf(samples, 'scim_inbound_queue_waiting_operations', { job: job.jobId }), undefined)
  t.equal(valueOf(samples, 'scim_inbound_queue_jobs_waiting'), 0)
  t.equal(valueOf(samples, 'scim_inbound_jobs', { state: 'Active' }), 1)
})

t.test('with METRICS_TOKEN set, /metrics needs it as a bearer token', async t => {
  const { app } = await buildService(t, { METRICS_TOKEN: 'scrape-secret-1234' })
  const missing = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.json().error.code, 'InvalidAuthenticationToken')
  t.equal(missing.headers['www-authenticate'], 'Bearer')
  const apiToken = await app.inject({ method: 'GET', url: '/metrics', headers: auth() })
  t.equal(apiToken.statusCode, 401, 'an API token is not the metrics token')
  const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret-12345' } })
  t.equal(wrong.statusCode, 401)
  const samples = await scrape(app, { authorization: 'Bearer scrape-secret-1234' })
  t.equal(valueOf(samples, 'scim_inbound_metrics_database_up'), 1)
  t.equal(valueOf(samples, 'scim_inbound_http_requests_total', { method: 'GET', route: '/metrics', status_code: '401' }), 3)
})

t.test('an unreachable database is reported, not a failed scrape', async t => {
  const db = createPool('postgres://nobody@127.0.0.1:1/nothing', 1)
  t.teardown(() => db.end())
  const gauges = new DatabaseGauges(db)
  const first = gauges.refresh()
  t.equal(gauges.refresh(), first, 'scrapes at the same moment share one read')
  await first
  const samples = parsePrometheusText(await gauges.registry.metrics())
  t.equal(valueOf(samples, 'scim_inbound_metrics_database_up'), 0)
  t.same(samplesOf(samples, 'scim_inbound_jobs'), [])
})
