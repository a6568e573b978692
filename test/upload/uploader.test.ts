import t from 'tap'
import type { Batch } from '../../src/upload/bulk-request.js'
import { staticToken } from '../../src/upload/token-provider.js'
import { BatchRefused, sendBatches } from '../../src/upload/uploader.js'

interface Call { body: string, at: number }

/**
 * A stand-in for the bulkUpload endpoint: each request is "committed" after its own delay,
 * so requests sent together are accepted in any order, as on a real server under load.
 */
function fakeEndpoint (answer: (call: number, body: string) => { status: number, headers?: Record<string, string>, body?: string } | 'network-error' = () => ({ status: 202 }),
  delay: (body: string) => number = () => Math.random() * 4) {
  const committed: Batch['sequence'][] = []
  const calls: Call[] = []
  let id = 0
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = String(init?.body)
    // Numbered when sent: with several requests in flight, counting at answer time would give
    // two of them the same number and skip the next.
    const call = calls.push({ body, at: Date.now() })
    await new Promise(resolve => setTimeout(resolve, delay(body)))
    const reply = answer(call, body)
    if (reply === 'network-error') throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })
    if (reply.status === 202) committed.push(JSON.parse(body).sequence)
    const requestId = `req-${++id}`
    return new Response(reply.body ?? null, { status: reply.status, headers: { ...(reply.status === 202 ? { 'request-id': requestId, location: `/bulkUploads/${requestId}` } : {}), ...reply.headers } })
  }
  return { fetch: fetch as typeof globalThis.fetch, committed, calls }
}

/** Batches whose bodies carry their sequence, and whose externalIds come from a small pool so that many batches share some. */
function makeBatches (count: number, perBatch: number, pool: number): Batch[] {
  let row = 2
  return Array.from({ length: count }, (_, sequence) => {
    const rows = Array.from({ length: perBatch }, () => row++)
    const externalIds = [...new Set(rows.map(r => `e${(r * 7919) % pool}`))]
    return { sequence, rows: [[rows[0]!, rows[rows.length - 1]!]], firstRow: rows[0]!, lastRow: rows[rows.length - 1]!, externalIds, operationCount: perBatch, body: JSON.stringify({ sequence }) }
  })
}

async function * source (batches: Batch[], pulled: { count: number }): AsyncGenerator<Batch> {
  for (const batch of batches) { pulled.count++; yield batch }
}

const common = { url: 'http://service.test/jobs/j/bulkUpload', tokens: staticToken('t'), maxRetries: 8, timeoutMs: 5000 }

t.test('batches sharing an externalId are accepted in file order, others go side by side, and reading stays within the window', async t => {
  const batches = makeBatches(300, 3, 40)
  const endpoint = fakeEndpoint()
  const pulled = { count: 0 }
  let accepted = 0
  let maxAhead = 0
  let inFlight = 0
  let maxInFlight = 0
  const outcome = await sendBatches(source(batches, pulled), {
    ...common,
    concurrency: 8,
    fetch: endpoint.fetch,
    onSending: () => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight) },
    onAccepted: () => { inFlight--; accepted++; maxAhead = Math.max(maxAhead, pulled.count - accepted) }
  })
  t.same(outcome, { batches: 300, operations: 900, interrupted: false })
  t.equal(endpoint.committed.length, 300, 'each batch accepted once')
  t.equal(new Set(endpoint.committed).size, 300)
  const position = new Map(endpoint.committed.map((sequence, index) => [sequence, index]))
  for (const externalId of new Set(batches.flatMap(batch => batch.externalIds))) {
    const order = batches.filter(batch => batch.externalIds.includes(externalId)).map(batch => position.get(batch.sequence)!)
    t.same(order, [...order].sort((a, b) => a - b), `${externalId}: accepted in file order`)
  }
  t.ok(endpoint.committed.some((sequence, index) => sequence !== index), 'independent batches overtook one another')
  t.ok(maxInFlight > 1 && maxInFlight <= 8, `concurrency honoured (max ${maxInFlight})`)
  t.ok(maxAhead <= 16, `at most twice the concurrency read ahead of acceptance (max ${maxAhead})`)
})

t.test('throttling, server errors and network failures are retried with the same body; nothing is sent twice once accepted', async t => {
  const batches = makeBatches(6, 2, 1000)
  const endpoint = fakeEndpoint(call => {
    if (call <= 4) return { status: 429, headers: { 'retry-after': '0' }, body: '{"error":{"code":"TooManyRequests","message":"slow down"}}' }
    if (call === 5) return { status: 503, headers: { 'retry-after': '0' } }
    if (call === 6) return { status: 502 }
    if (call === 7) return 'network-error'
    return { status: 202 }
  }, () => 1)
  const retries: string[] = []
  const outcome = await sendBatches(source(batches, { count: 0 }), {
    ...common, concurrency: 2, fetch: endpoint.fetch, onAccepted: () => {}, onRetry: event => retries.push(`${event.status ?? 'network'} ${event.reason}`)
  })
  t.equal(outcome.batches, 6)
  t.same([...endpoint.committed].sort(), [0, 1, 2, 3, 4, 5], 'each batch committed exactly once')
  t.equal(endpoint.calls.length, 13, 'six accepted calls after seven failed ones')
  t.ok(retries.includes('429 slow down'))
  t.ok(retries.some(retry => retry.startsWith('network network error: ECONNRESET')))
  const bodies = new Map<string, number>()
  for (const call of endpoint.calls) bodies.set(call.body, (bodies.get(call.body) ?? 0) + 1)
  t.equal(bodies.size, 6, 'retries resend whole, unchanged requests')
})

t.test('a refused batch stops the run: requests in flight are recorded, nothing new is sent, the refusal names the rows', async t => {
  const batches = makeBatches(40, 2, 1000)
  const refused = (body: string): boolean => JSON.parse(body).sequence === 5
  // The refusal comes back at once and the others take long, so nothing else completes
  // between its answer and the uploader reading it: any request sent after it would be a bug.
  let refusalAnswered = false
  const sentAfterRefusal: number[] = []
  const endpoint = fakeEndpoint((_call, body) => {
    if (!refused(body)) return { status: 202 }
    refusalAnswered = true
    return { status: 400, body: JSON.stringify({ error: { code: 'InvalidDataFormat', message: 'The bulk request is invalid (1 problem)', details: [{ code: 'invalidValue', target: '/Operations/1/data/active', message: 'must be boolean', index: 1, bulkId: 'row-13' }] } }) }
  }, body => {
    if (refusalAnswered) sentAfterRefusal.push(JSON.parse(body).sequence)
    return refused(body) ? 0 : 100
  })
  const recorded: number[] = []
  const failure = await sendBatches(source(batches, { count: 0 }), { ...common, concurrency: 4, fetch: endpoint.fetch, onAccepted: batch => recorded.push(batch.sequence) })
    .then(() => undefined, (err: unknown) => err)
  t.type(failure, BatchRefused)
  t.match((failure as Error).message, /rows 12–13: the service refused it \(400 InvalidDataFormat\): The bulk request is invalid/)
  t.match((failure as Error).message, /row 13 \(\/Operations\/1\/data\/active\): must be boolean/)
  t.same(sentAfterRefusal, [], 'nothing was sent after the refusal')
  const sent = endpoint.calls.map(call => JSON.parse(call.body).sequence as number).sort((a, b) => a - b)
  // In order, four at a time: the refused batch and at most three after it.
  t.same(sent, Array.from({ length: sent.length }, (_, sequence) => sequence), `batches sent in order (${sent.join(', ')})`)
  t.ok(sent.length >= 6 && sent.length <= 9, 'at most three sent after the refused one, while it was in flight')
  t.same(endpoint.committed.sort((a, b) => a - b), sent.filter(sequence => sequence !== 5), 'the requests in flight finished')
  t.same(recorded.sort((a, b) => a - b), endpoint.committed, 'every committed request was recorded')
})

t.test('an interruption lets the requests in flight finish and record, then stops', async t => {
  const batches = makeBatches(50, 2, 1000)
  const controller = new AbortController()
  const endpoint = fakeEndpoint(() => ({ status: 202 }), () => 5)
  const recorded: number[] = []
  const outcome = await sendBatches(source(batches, { count: 0 }), {
    ...common, concurrency: 3, signal: controller.signal, fetch: endpoint.fetch,
    onAccepted: batch => { recorded.push(batch.sequence); if (recorded.length === 4) controller.abort() }
  })
  t.equal(outcome.interrupted, true)
  t.same(recorded.sort((a, b) => a - b), endpoint.committed.sort((a, b) => a - b), 'what was committed is recorded')
  t.ok(recorded.length >= 4 && recorded.length <= 7, `stopped after the window drained (${recorded.length})`)
})

t.test('a token the service refuses is renewed once when the provider can', async t => {
  let tokens = 0
  const endpoint = fakeEndpoint(call => call === 1 ? { status: 401 } : { status: 202 }, () => 0)
  const outcome = await sendBatches(source(makeBatches(1, 1, 10), { count: 0 }), {
    ...common, concurrency: 1, fetch: endpoint.fetch, onAccepted: () => {},
    tokens: { token: async () => `t${++tokens}`, invalidate: () => true }
  })
  t.equal(outcome.batches, 1)
  t.equal(tokens, 2)
})
