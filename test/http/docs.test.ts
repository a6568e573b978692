import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

/*
 * GET /docs: the interactive reference, public, reading the same openapi.yaml as GET
 * /openapi.yaml, and loading nothing from outside this service (it must work where the
 * service has no internet access). No database is needed: the app is built against an
 * address where none listens, as the generator builds it.
 */
const app = await buildApp(loadConfig({}, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' }), { logger: false })
t.teardown(() => app.close())

t.test('/docs leads to the page, which needs no token', async t => {
  const redirect = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(redirect.statusCode, 301)
  t.equal(redirect.headers.location, '/docs/')

  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<title>scim-inbound API reference<\/title>/)
})

t.test('the page reads openapi.yaml and loads its script from this service only', async t => {
  const page = (await app.inject({ method: 'GET', url: '/docs/' })).body
  const scripts = [...page.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map(match => match[1])
  t.same(scripts, ['js/scalar.js'], 'one script, relative to /docs/')
  t.notMatch(page, /(src|href)="(https?:)?\/\//, 'no absolute link to another host')
  const configuration = JSON.parse(/createApiReference\('#app', (\{[\s\S]*?\})\)/.exec(page)![1]!)
  t.match(configuration, { url: '../openapi.yaml', withDefaultFonts: false, telemetry: false, agent: { disabled: true }, mcp: { disabled: true } })

  const script = await app.inject({ method: 'GET', url: '/docs/js/scalar.js' })
  t.equal(script.statusCode, 200)
  t.match(script.headers['content-type'], /javascript/)
  t.ok(script.body.length > 100_000, 'the bundled reference, not a loader')

  // ../openapi.yaml seen from /docs/ is /openapi.yaml.
  const document = await app.inject({ method: 'GET', url: new URL('../openapi.yaml', 'http://localhost/docs/').pathname })
  t.equal(document.statusCode, 200)
  t.match(document.body, /^openapi: 3\.1\.0/)
})
