import t from 'tap'
import { UploadRateLimit } from '../../src/ingest/upload-rate-limit.js'
import { GraphError } from '../../src/http/graph-error.js'

const refusal = (limit: UploadRateLimit, jobId: string, perSecond: number, at: number): GraphError | undefined => {
  try {
    limit.take(jobId, perSecond, at)
    return undefined
  } catch (err) {
    return err as GraphError
  }
}

t.test('a burst across the turn of a second still gets only the limit', async t => {
  const limit = new UploadRateLimit()
  t.equal(refusal(limit, 'job', 2, 10_998), undefined)
  t.equal(refusal(limit, 'job', 2, 10_999), undefined)
  const third = refusal(limit, 'job', 2, 11_001)
  t.equal(third?.statusCode, 429)
  t.equal(third?.headers['retry-after'], '1')
  t.match(third?.message, /at most 2 uploads per second \(setting maxRequestsPerSecond\)/)
})

t.test('the allowance comes back at the limit\'s pace, never above the limit', async t => {
  const limit = new UploadRateLimit()
  for (const at of [0, 1, 2]) limit.take('job', 3, at)
  t.ok(refusal(limit, 'job', 3, 300), 'a third of a second later: not yet a whole upload back')
  t.equal(refusal(limit, 'job', 3, 340), undefined, 'after 1/3 s: one upload')
  t.ok(refusal(limit, 'job', 3, 350))
  // An hour idle gives back three, not thousands.
  for (const at of [3_600_000, 3_600_001, 3_600_002]) limit.take('job', 3, at)
  t.ok(refusal(limit, 'job', 3, 3_600_003))
})

t.test('jobs do not share an allowance, and a job without a limit is never refused', async t => {
  const limit = new UploadRateLimit()
  limit.take('one', 1, 0)
  t.equal(refusal(limit, 'one', 1, 250)?.headers['retry-after'], '1')
  t.equal(refusal(limit, 'other', 1, 250), undefined)
  for (let i = 0; i < 100; i++) limit.take('free', null, 250)
  t.equal(refusal(limit, 'one', 1, 1000), undefined, 'a second after its last upload')
})
