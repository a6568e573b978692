import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSigner } from 'fast-jwt'
import { buildService, token } from '../helpers/service.js'

/**
 * Production tokens come from an identity provider: RS256 or ES256, verified against its
 * JWKS, with issuer and audience checked. A real HTTP server on loopback plays the provider.
 */
t.test('RS256 and ES256 tokens verified against a JWKS URL, with issuer and audience', async t => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const keys = [
    { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' }
  ]
  const provider = createServer((request, response) => {
    if (request.url !== '/discovery/keys') { response.writeHead(404).end(); return }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>(resolve => provider.listen(0, '127.0.0.1', resolve))
  t.teardown(() => provider.close())
  const { port } = provider.address() as AddressInfo
  const issuer = 'https://login.example.test/tenant/'
  const service = await buildService(t, { JWKS_URL: `http://127.0.0.1:${port}/discovery/keys`, JWT_ISSUER: issuer, JWT_AUDIENCE: 'scim-inbound' })

  const sign = (key: string, algorithm: 'RS256' | 'ES256', kid: string, claims: Record<string, unknown>): string =>
    createSigner({ key, algorithm, kid, expiresIn: 60_000 })(claims)
  const read = async (bearer: string): Promise<number> =>
    (await service.app.inject({ method: 'GET', url: '/directories/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${bearer}` } })).statusCode
  const good = { roles: ['Directory.Read.All'], appid: 'hr-app', iss: issuer, aud: 'scim-inbound' }
  const rsaPem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const ecPem = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()

  t.equal(await read(sign(rsaPem, 'RS256', 'rsa-1', good)), 404, 'RS256 accepted (the directory does not exist)')
  t.equal(await read(sign(ecPem, 'ES256', 'ec-1', good)), 404, 'ES256 accepted')
  t.equal(await read(sign(rsaPem, 'RS256', 'rsa-1', { ...good, iss: 'https://evil.example.test/' })), 401, 'wrong issuer refused')
  t.equal(await read(sign(rsaPem, 'RS256', 'rsa-1', { ...good, aud: 'another-api' })), 401, 'wrong audience refused')
  t.equal(await read(sign(ecPem, 'ES256', 'rsa-1', good)), 401, 'signature by a key other than the one named refused')
  t.equal(await read(token(['Directory.Read.All'])), 401, 'HS256 tokens are not accepted once JWKS is configured')
  t.equal(await read(sign(rsaPem, 'RS256', 'rsa-1', { ...good, roles: ['User.Read.All'] })), 403, 'valid token without the role: 403')
})
