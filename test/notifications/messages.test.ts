import t from 'tap'
import { failureDigestNotification, quarantineNotification } from '../../src/notifications/messages.js'

// What the operator reads: what happened, where to look, how to get out; and the keys that
// make each cause one notification.

const jobId = 'API2AAD.0123456789abcdef0123456789abcdef.3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f'
const servicePrincipalId = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f'
const jobPath = `/servicePrincipals/${servicePrincipalId}/synchronization/jobs/${jobId}`

t.test('quarantine: once per reason and episode, with the way out', async t => {
  const input = {
    jobId,
    servicePrincipalId,
    recipient: 'ops@contoso.com',
    reason: 'TooManyDeletes',
    errorCode: 'TooManyDeletes',
    message: 'Restart the job with ForceDeletes to apply them.',
    began: new Date('2025-03-01T10:00:00.123Z')
  }
  const notification = quarantineNotification(input)
  t.match(notification, { jobId, kind: 'quarantine', recipient: 'ops@contoso.com', dedupeKey: `quarantine:${jobId}:TooManyDeletes:2025-03-01T10:00:00.123Z` })
  t.match(notification.subject, /quarantined.*TooManyDeletes/)
  t.notMatch(notification.subject, /\n/)
  for (const line of [jobId, '2025-03-01T10:00:00.123Z', 'Restart the job with ForceDeletes to apply them.', `GET ${jobPath}\n`, `POST ${jobPath}/restart`]) {
    t.ok(notification.body.includes(line), line)
  }
  t.equal(quarantineNotification({ ...input, message: 'reworded' }).dedupeKey, notification.dedupeKey, 'the same episode and reason')
  t.not(quarantineNotification({ ...input, errorCode: 'NotificationEmailMissing' }).dedupeKey, notification.dedupeKey, 'another reason')
  t.not(quarantineNotification({ ...input, began: new Date('2025-03-02T10:00:00Z') }).dedupeKey, notification.dedupeKey, 'another episode')
})

t.test('failure digest: once per cycle, at most 50 failures listed', async t => {
  const cycleId = '0d4c1d7e-8a8b-4c1f-9a1e-2b3c4d5e6f70'
  const failures = Array.from({ length: 60 }, (_, i) => ({ externalId: `E${i}`, errorCode: 'InvalidDomain', reason: `domain of user ${i} is not verified` }))
  const notification = failureDigestNotification({ jobId, servicePrincipalId, recipient: 'ops@contoso.com', cycleId, failures, totalFailures: 75 })
  t.match(notification, { jobId, kind: 'failureDigest', dedupeKey: `failureDigest:${jobId}:${cycleId}` })
  t.match(notification.subject, /75 failed operations/)
  const listed = notification.body.split('\n').filter(line => line.startsWith('- '))
  t.equal(listed.length, 50)
  t.equal(listed[0], '- E0: InvalidDomain: domain of user 0 is not verified')
  t.match(notification.body, /… and 25 more\./)
  t.match(notification.body, cycleId)
  t.ok(notification.body.includes(`GET ${jobPath}`))

  const one = failureDigestNotification({ jobId, servicePrincipalId, recipient: 'ops@contoso.com', cycleId, failures: [{ externalId: null, errorCode: null, reason: null }], totalFailures: 1 })
  t.match(one.subject, /1 failed operation$/)
  t.match(one.body, /^- \(no externalId\): failed$/m)
  t.notMatch(one.body, /more\./)
})
