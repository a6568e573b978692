import t from 'tap'
import { createSigner } from 'fast-jwt'
import { auth, buildService, bulkRequest, createJob, scimUser, token, upload } from '../helpers/service.js'
import { assertGraphError, bearer, ROLE, signClaims } from '../helpers/http.js'

const service = await buildService(t)
const { app } = service
const job = await createJob(app, { owners: ['hr-app'], start: false })
const directoryUrl = `/directories/${job.directoryId}`
const newDirectory = { displayName: 'Fabrikam', kind: 'entra', domains: ['fabrikam.com'] }

t.test('a valid token with the role is let through', async t => {
  const response = await app.inject({ method: 'GET', url: directoryUrl, headers: auth([ROLE.directoryRead]) })
  t.equal(response.statusCode, 200)
  t.equal(response.json().id, job.directoryId)
})

t.test('no Authorization header → 401', async t => {
  const error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl }), 401, 'InvalidAuthenticationToken')
  t.match(error.message, /Authorization header is missing/)
})

t.test('garbage and malformed tokens → 401', async t => {
  for (const authorization of ['Bearer garbage', 'Bearer a.b.c', 'Bearer ', 'Basic dXNlcjpwYXNz', 'garbage']) {
    const error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: { authorization } }), 401, 'InvalidAuthenticationToken')
    t.match(error.message, /invalid/i, `${authorization}: says the token is invalid`)
  }
})

t.test('an expired token → 401 saying it expired', async t => {
  const viaHelper = token([ROLE.directoryRead], 'test-client', -10)
  let error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(viaHelper) }), 401, 'InvalidAuthenticationToken')
  t.match(error.message, /expired/)
  // The same with a signer whose clock is an hour in the past (positive expiresIn).
  const past = createSigner({ key: 'test-secret-that-is-long-enough', expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 })({ roles: [ROLE.directoryRead], azp: 'x' })
  error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(past) }), 401, 'InvalidAuthenticationToken')
  t.match(error.message, /expired/)
})

t.test('a token not valid yet (nbf in the future) → 401', async t => {
  const early = signClaims({ roles: [ROLE.directoryRead], azp: 'x' }, { notBefore: 3_600_000 })
  assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(early) }), 401, 'InvalidAuthenticationToken')
})

t.test('a token signed with another secret → 401', async t => {
  const forged = createSigner({ key: 'another-secret-that-is-long-enough', expiresIn: 600_000 })({ roles: [ROLE.directoryReadWrite], azp: 'x' })
  const error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(forged) }), 401, 'InvalidAuthenticationToken')
  t.match(error.message, /invalid/i)
})

t.test('an unsigned token (alg none) → 401', async t => {
  const unsigned = createSigner({ algorithm: 'none', expiresIn: 600_000 })({ roles: [ROLE.directoryReadWrite], azp: 'x' })
  assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(unsigned) }), 401, 'InvalidAuthenticationToken')
})

t.test('a token naming no client (no azp, appid or sub) → 401', async t => {
  const anonymous = signClaims({ roles: [ROLE.directoryRead] })
  const error = assertGraphError(t, await app.inject({ method: 'GET', url: directoryUrl, headers: bearer(anonymous) }), 401, 'InvalidAuthenticationToken')
  t.match(error.message, /azp, appid or sub/)
})

t.test('a valid token lacking the role → 403', async t => {
  let error = assertGraphError(t, await app.inject({ method: 'POST', url: '/directories', headers: auth([ROLE.directoryRead]), payload: newDirectory }), 403, 'Authorization_RequestDenied')
  t.match(error.message, /Directory\.ReadWrite\.All/, 'names the missing role')
  error = assertGraphError(t, await app.inject({ method: 'POST', url: '/directories', headers: auth([]), payload: newDirectory }), 403, 'Authorization_RequestDenied')
  // the same caller with the role succeeds
  const created = await app.inject({ method: 'POST', url: '/directories', headers: auth([ROLE.directoryReadWrite]), payload: newDirectory })
  t.equal(created.statusCode, 201)
  // roles that are not an array grant nothing
  const odd = signClaims({ roles: ROLE.directoryReadWrite, azp: 'x' })
  assertGraphError(t, await app.inject({ method: 'POST', url: '/directories', headers: bearer(odd), payload: newDirectory }), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth([ROLE.syncRead]), payload: { displayName: 'x', templateId: 'API2AAD', directoryId: job.directoryId } }), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await app.inject({ method: 'POST', url: `${job.jobUrl}/start`, headers: auth([ROLE.upload]) }), 403, 'Authorization_RequestDenied')
  assertGraphError(t, await upload(app, job, bulkRequest([scimUser('1')]), auth([ROLE.syncReadWrite])), 403, 'Authorization_RequestDenied')
})

t.test('the client id comes from azp, else appid, else sub (seen through Upload.OwnedBy)', async t => {
  const body = bulkRequest([scimUser('1')])
  const asOwnedBy = (claims: Record<string, unknown>): Record<string, string> => bearer(signClaims({ roles: [ROLE.uploadOwnedBy], ...claims }))
  t.equal((await upload(app, job, body, asOwnedBy({ azp: 'hr-app' }))).statusCode, 202, 'azp')
  t.equal((await upload(app, job, body, asOwnedBy({ appid: 'hr-app' }))).statusCode, 202, 'appid')
  t.equal((await upload(app, job, body, asOwnedBy({ sub: 'hr-app' }))).statusCode, 202, 'sub')
  t.equal((await upload(app, job, body, asOwnedBy({ azp: '', appid: 'hr-app' }))).statusCode, 202, 'an empty azp falls through to appid')
  let error = assertGraphError(t, await upload(app, job, body, asOwnedBy({ azp: 'other-app', appid: 'hr-app', sub: 'hr-app' })), 403, 'Authorization_RequestDenied')
  t.match(error.message, /'other-app'/, 'azp wins over appid and sub')
  error = assertGraphError(t, await upload(app, job, body, asOwnedBy({ appid: 'other-app', sub: 'hr-app' })), 403, 'Authorization_RequestDenied')
  t.match(error.message, /'other-app'/, 'appid wins over sub')
})
