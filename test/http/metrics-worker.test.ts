import t from 'tap'
import { buildService, bulkRequest, createJob, scimUser, upload, waitForRequest } from '../helpers/service.js'
import { freePort, spawnCli, waitFor } from '../helpers/processes.js'
import { parsePrometheusText, samplesOf, valueOf } from '../helpers/prometheus-text.js'

const WORKER_TOKEN = 'worker-scrape-secret'

t.test('a separate worker serves its own metrics on METRICS_PORT', async t => {
  const { app, config } = await buildService(t)
  const job = await createJob(app)
  const port = await freePort()
  spawnCli(t, 'worker', config, { METRICS_PORT: String(port), METRICS_TOKEN: WORKER_TOKEN })
  const url = `http://127.0.0.1:${port}/metrics`
  const scrape = async (): Promise<Response> => await fetch(url, { headers: { authorization: `Bearer ${WORKER_TOKEN}` } })
  await waitFor('the worker\'s metrics endpoint', async () => await scrape().then(response => response.ok, () => false), 30000)

  const refused = await fetch(url)
  t.equal(refused.status, 401, 'METRICS_TOKEN applies to the worker too')
  t.equal((await refused.json()).error.code, 'InvalidAuthenticationToken')
  t.equal((await fetch(`http://127.0.0.1:${port}/other`, { headers: { authorization: `Bearer ${WORKER_TOKEN}` } })).status, 404)

  const response = await upload(app, job, bulkRequest([scimUser('4001'), scimUser('4002', { userName: 'user4002@fabrikam.com' })]))
  t.equal(response.statusCode, 202)
  await waitForRequest(app, job, response.headers['request-id'] as string)

  const scraped = await scrape()
  t.equal(scraped.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const samples = parsePrometheusText(await scraped.text())
  t.equal(valueOf(samples, 'scim_inbound_operations_processed_total', { action: 'create', status: 'success' }), 1)
  t.equal(valueOf(samples, 'scim_inbound_operations_processed_total', { action: 'create', status: 'failure' }), 1)
  const { rows: [request] } = await app.db.query('SELECT extract(epoch FROM completed_at - received_at)::float8 AS seconds FROM bulk_requests')
  t.equal(valueOf(samples, 'scim_inbound_accept_to_commit_seconds_count'), 1)
  t.ok(Math.abs(valueOf(samples, 'scim_inbound_accept_to_commit_seconds_sum')! - request.seconds) < 1e-9)
  t.ok(valueOf(samples, 'scim_inbound_worker_busy_seconds_total')! > 0)
  t.ok(valueOf(samples, 'scim_inbound_db_pool_connections', { pool: 'scim-inbound-worker' })! >= 1)
  t.ok(valueOf(samples, 'process_resident_memory_bytes')! > 0)
  t.same(samplesOf(samples, 'scim_inbound_queue_waiting_requests'), [], 'deployment gauges come from the API, not from every worker')
  t.same(samplesOf(samples, 'scim_inbound_http_requests_total'), [])

  // The API in this process processed nothing: what the worker did is in the worker's registry.
  const api = parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body)
  t.same(samplesOf(api, 'scim_inbound_operations_processed_total'), [])
  t.equal(valueOf(api, 'scim_inbound_bulk_requests_accepted_total', { job: job.jobId }), 1)
})
