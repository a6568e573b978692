import t from 'tap'
import { auth, createJob } from '../helpers/service.js'
import { post, provisioningFixture, run } from '../helpers/provisioning.js'

// POST …/schema/parseExpression: the expression language's test bench over HTTP, with the
// job's directory behind DefaultDomain() and SelectUniqueValue.
const { app } = await provisioningFixture(t)

async function parse (jobUrl: string, body: unknown, roles?: string[]): Promise<{ statusCode: number, body: any }> {
  const response = await app.inject({ method: 'POST', url: `${jobUrl}/schema/parseExpression`, headers: auth(roles), payload: body as object })
  return { statusCode: response.statusCode, body: response.json() }
}

const input = (properties: Record<string, string | string[]>): unknown => ({ properties: Object.entries(properties).map(([key, value]) => ({ key, value })) })

t.test('parses, evaluates against the test input and shows the parsed form', async t => {
  const job = await createJob(app, { start: false })
  const { statusCode, body } = await parse(job.jobUrl, {
    expression: 'Join("@", ToLower(Join(".", [name.givenName], [name.familyName])), DefaultDomain())',
    testInputObject: input({ 'name.givenName': 'Ada', 'NAME.familyName': 'Lovelace' })
  })
  t.equal(statusCode, 200)
  t.match(body, { parsingSucceeded: true, evaluationSucceeded: true, evaluationResult: ['ada.lovelace@contoso.com'], error: null })
  t.match(body.parsedExpression, {
    type: 'Function',
    name: 'Join',
    expression: 'Join("@", ToLower(Join(".", [name.givenName], [name.familyName])), DefaultDomain())',
    parameters: [
      { key: 'separator', value: { type: 'Constant', name: '@' } },
      { key: 'source', value: { type: 'Function', name: 'ToLower' } },
      { key: 'source2', value: { type: 'Function', name: 'DefaultDomain', parameters: [] } }
    ]
  })
})

t.test('a parse error answers 200 with parsingSucceeded false and where it went wrong', async t => {
  const job = await createJob(app, { start: false })
  const { statusCode, body } = await parse(job.jobUrl, { expression: 'Mid([a], 1' })
  t.equal(statusCode, 200)
  t.match(body, { parsingSucceeded: false, evaluationSucceeded: false, evaluationResult: null, parsedExpression: null, error: { code: 'ParsingFailed', position: 11 } })
  t.match(body.error.message, /expected ',' or '\)'/)
  const unknown = await parse(job.jobUrl, { expression: 'toupper([a])' })
  t.match(unknown.body.error.message, /did you mean 'ToUpper'/)
})

t.test('an evaluation error is told apart from a parse error', async t => {
  const job = await createJob(app, { start: false })
  const { body } = await parse(job.jobUrl, { expression: 'Item([phones], 0)', testInputObject: input({ phones: ['1', '2'] }) })
  t.match(body, { parsingSucceeded: true, evaluationSucceeded: false, error: { code: 'EvaluationFailed' } })
  const ignored = await parse(job.jobUrl, { expression: 'IgnoreFlowIfNullOrEmpty([title])' })
  t.match(ignored.body, { evaluationSucceeded: true, evaluationResult: null }, 'an attribute that would not flow')
})

t.test('SelectUniqueValue asks the job\'s directory', async t => {
  const job = await createJob(app)
  await run(app, job, [post({ externalId: 'U1', userName: 'ada.lovelace@contoso.com', displayName: 'Ada' })])
  const { body } = await parse(job.jobUrl, {
    expression: 'SelectUniqueValue(Join("@", Join(".", [g], [s]), "contoso.com"), Join("@", Join(".", Left([g], 1), [s]), "contoso.com"))',
    testInputObject: input({ g: 'ada', s: 'lovelace' })
  })
  t.match(body, { evaluationSucceeded: true, evaluationResult: ['a.lovelace@contoso.com'] }, 'the first candidate is taken')
})

t.test('refusals: bad bodies, unknown jobs, missing roles', async t => {
  const job = await createJob(app, { start: false })
  t.equal((await parse(job.jobUrl, {})).statusCode, 400)
  t.equal((await parse(job.jobUrl, { expression: 'Guid()', extra: 1 })).statusCode, 400)
  t.equal((await parse(job.jobUrl, { expression: 'Guid()', testInputObject: { properties: [{ key: 'a', value: { nested: true } }] } })).statusCode, 400)
  t.equal((await parse(job.jobUrl, { expression: 'x'.repeat(20001) })).statusCode, 400)
  t.equal((await parse(`/servicePrincipals/${job.servicePrincipalId}/synchronization/jobs/nope`, { expression: 'Guid()' })).statusCode, 404)
  t.equal((await parse(job.jobUrl, { expression: 'Guid()' }, ['SynchronizationData-User.Upload'])).statusCode, 403)
})
