import t from 'tap'
import { buildApp } from '../../src/app.js'
import { OpenapiContract, UNPROVOKED_STATUSES } from '../helpers/openapi-contract.js'
import { OpenapiExampleRecorder } from '../helpers/openapi-example-recorder.js'
import { OpenapiExerciser } from '../helpers/openapi-exerciser.js'
import { exerciseEveryRoute } from '../helpers/openapi-scenario.js'
import { buildService } from '../helpers/service.js'

/**
 * Every operation of the committed openapi.yaml, exercised against the real app (worker
 * running, real PostgreSQL and queue): each real response must be one the document
 * describes — status, media type, body schema, headers. Then the other direction: every
 * operation must have been exercised and every documented status provoked (but those in
 * UNPROVOKED_STATUSES), so a route or status added to the document without a case fails here.
 *
 * With OPENAPI_EXAMPLES=capture the responses are also written to openapi-examples.json,
 * the examples `npm run openapi` puts into the document (`npm run openapi:examples` does both).
 */

const METRICS_TOKEN = 'openapi-test-metrics-token'

const contract = new OpenapiContract()
const recorder = process.env.OPENAPI_EXAMPLES === 'capture' ? new OpenapiExampleRecorder() : undefined

t.test('every operation of openapi.yaml answers as documented', async t => {
  // A budget no case reaches: the client limit is met on an app of its own below.
  const service = await buildService(t, { RATE_LIMIT_PER_SECOND: 100_000, PUBLIC_URL: 'http://localhost:3000' })
  await service.startWorker()
  const throttled = await buildApp({
    ...service.config,
    QUEUE_PREFIX: `${service.config.QUEUE_PREFIX}-throttled`,
    RATE_LIMIT_PER_SECOND: 1,
    RATE_LIMIT_BURST: 1,
    METRICS_TOKEN
  }, { logger: false })
  t.teardown(() => throttled.close())
  const unreachable = await buildApp({ ...service.config, QUEUE_PREFIX: `${service.config.QUEUE_PREFIX}-unreachable`, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing' }, { logger: false })
  t.teardown(() => unreachable.close())

  const exerciser = new OpenapiExerciser(t, contract, service.app, throttled, recorder)
  await exerciseEveryRoute(exerciser, { app: service.app, throttled, metricsToken: METRICS_TOKEN, unreachable })

  for (const { key, operation } of contract.operations()) {
    const seen = contract.exercised.get(key) ?? new Set()
    t.ok(seen.size > 0, `${key} was exercised`)
    const expected = Object.entries(operation.responses as Record<string, { content?: Record<string, unknown> }>)
      .filter(([status]) => UNPROVOKED_STATUSES[status] === undefined)
      .flatMap(([status, response]) => [status, ...Object.keys(response.content ?? {}).map(mediaType => `${status} ${mediaType}`)])
    t.same(expected.filter(status => !seen.has(status)), [], `every documented status (and media type) of ${key} was provoked`)
  }
  recorder?.write()
})
