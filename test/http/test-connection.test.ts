import t from 'tap'
import pg from 'pg'
import { auth, buildService, createJob } from '../helpers/service.js'
import { assertGraphError, ROLE } from '../helpers/http.js'

const { app, config } = await buildService(t)
const sql = new pg.Client({ connectionString: config.DATABASE_URL })
await sql.connect()
t.teardown(() => sql.end())

async function adJob (defaultOu = 'OU=Users,DC=contoso,DC=com'): Promise<{ directoryId: string, jobUrl: string }> {
  const directory = await app.inject({ method: 'POST', url: '/directories', headers: auth(), payload: { displayName: 'Contoso AD', kind: 'ad', domain: 'contoso.com', defaultOu } })
  const directoryId = directory.json().id as string
  const sp = (await app.inject({ method: 'POST', url: '/servicePrincipals', headers: auth(), payload: { displayName: 'HR to AD', templateId: 'API2AD', directoryId } })).json()
  return { directoryId, jobUrl: `/servicePrincipals/${String(sp.id)}/synchronization/jobs/${String(sp.job.id)}` }
}

const testConnection = async (jobUrl: string, headers = auth()): Promise<any> => await app.inject({ method: 'POST', url: `${jobUrl}/testConnection`, headers })
const createOu = async (directoryId: string, distinguishedName: string): Promise<void> => {
  const response = await app.inject({ method: 'POST', url: `/directories/${directoryId}/organizationalUnits`, headers: auth(), payload: { distinguishedName } })
  if (response.statusCode !== 201) throw new Error(response.body)
}

t.test('API2AD: the default OU missing is named precisely; once created, the test succeeds', async t => {
  const { directoryId, jobUrl } = await adJob()
  let response = await testConnection(jobUrl, auth([ROLE.syncRead]))
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    succeeded: false,
    checks: [
      { name: 'directory', succeeded: true, message: `Directory 'Contoso AD' (${directoryId}) exists and is an ad directory.` },
      { name: 'domain', succeeded: true, message: 'Domain contoso.com, DN DC=contoso,DC=com.' },
      { name: 'defaultOu', succeeded: false, message: 'OU=Users,DC=contoso,DC=com does not exist: create OU=Users,DC=contoso,DC=com' }
    ]
  })

  await createOu(directoryId, 'OU=Users,DC=contoso,DC=com')
  response = await testConnection(jobUrl, auth([ROLE.syncReadWrite]))
  t.equal(response.statusCode, 200)
  t.equal(response.json().succeeded, true)
  t.same(response.json().checks[2], { name: 'defaultOu', succeeded: true, message: 'OU=Users,DC=contoso,DC=com exists.' })
  t.same(response.json().checks.map((check: any) => check.succeeded), [true, true, true])

  for (const prefix of ['/v1.0', '/beta']) {
    t.equal((await testConnection(`${prefix}${jobUrl}`)).json().succeeded, true, `${prefix} too`)
  }
})

t.test('API2AD: a nested default OU names the first OU to create', async t => {
  const { directoryId, jobUrl } = await adJob('OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com')
  let check = (await testConnection(jobUrl)).json().checks[2]
  t.same(check, {
    name: 'defaultOu',
    succeeded: false,
    message: 'OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com does not exist: create OU=Staff,DC=contoso,DC=com, then each OU below it down to OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com'
  })
  await createOu(directoryId, 'OU=Staff,DC=contoso,DC=com')
  check = (await testConnection(jobUrl)).json().checks[2]
  t.match(check.message, /: create OU=Europe,OU=Staff,DC=contoso,DC=com, then/)
  await createOu(directoryId, 'OU=Europe,OU=Staff,DC=contoso,DC=com')
  check = (await testConnection(jobUrl)).json().checks[2]
  t.equal(check.message, 'OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com does not exist: create OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com')
  await createOu(directoryId, 'OU=Paris,OU=Europe,OU=Staff,DC=contoso,DC=com')
  t.equal((await testConnection(jobUrl)).json().succeeded, true)
})

t.test('API2AAD: the directory and its verified domain', async t => {
  const job = await createJob(app, { domains: ['contoso.com', 'fabrikam.com'], start: false })
  const response = await testConnection(job.jobUrl)
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    succeeded: true,
    checks: [
      { name: 'directory', succeeded: true, message: `Directory 'Contoso' (${job.directoryId}) exists and is an entra directory.` },
      { name: 'domain', succeeded: true, message: 'Verified domain contoso.com is the default (2 verified).' }
    ]
  })
})

t.test('directories changed under a job: each failing check says what is wrong', async t => {
  const { directoryId, jobUrl } = await adJob()
  const jobId = jobUrl.split('/').pop()!
  await sql.query('UPDATE directories SET default_ou = NULL WHERE id = $1', [directoryId])
  t.same((await testConnection(jobUrl)).json().checks[2], { name: 'defaultOu', succeeded: false, message: 'The directory has no default OU: users without a mapped parentDistinguishedName have nowhere to go.' })
  await sql.query(`UPDATE directories SET default_ou = 'OU=Users,DC=fabrikam,DC=com' WHERE id = $1`, [directoryId])
  t.match((await testConnection(jobUrl)).json().checks[2].message, /OU=Users,DC=fabrikam,DC=com does not lie under the domain DC=contoso,DC=com/)
  await sql.query(`UPDATE directories SET default_ou = 'OU=Users,,DC=com' WHERE id = $1`, [directoryId])
  t.match((await testConnection(jobUrl)).json().checks[2].message, /is not a distinguished name: .* \(character 10\)/)
  await sql.query(`UPDATE directories SET domains = '{}' WHERE id = $1`, [directoryId])
  t.same((await testConnection(jobUrl)).json(), {
    succeeded: false,
    checks: [
      { name: 'directory', succeeded: true, message: `Directory 'Contoso AD' (${directoryId}) exists and is an ad directory.` },
      { name: 'domain', succeeded: false, message: 'The directory has no domain.' },
      { name: 'defaultOu', succeeded: false, message: 'Not checked: the directory has no domain.' }
    ]
  })

  const entra = await createJob(app, { start: false })
  await sql.query('UPDATE sync_jobs SET directory_id = $1 WHERE id = $2', [entra.directoryId, jobId])
  t.same((await testConnection(jobUrl)).json(), {
    succeeded: false,
    checks: [
      { name: 'directory', succeeded: false, message: `Directory 'Contoso' (${entra.directoryId}) is an entra directory; API2AD provisions into an ad directory.` },
      { name: 'domain', succeeded: false, message: 'Not checked: the directory is not usable.' },
      { name: 'defaultOu', succeeded: false, message: 'Not checked: the directory is not usable.' }
    ]
  })
  await sql.query(`UPDATE directories SET domains = '{}' WHERE id = $1`, [entra.directoryId])
  t.same((await testConnection(entra.jobUrl)).json().checks[1], { name: 'domain', succeeded: false, message: 'The directory has no verified domain; userPrincipalNames need one.' })
  await sql.query('UPDATE sync_jobs SET directory_id = $1 WHERE id = $2', [directoryId, entra.jobUrl.split('/').pop()])
  t.same((await testConnection(entra.jobUrl)).json().checks, [
    { name: 'directory', succeeded: false, message: `Directory 'Contoso AD' (${directoryId}) is an ad directory; API2AAD provisions into an entra directory.` },
    { name: 'domain', succeeded: false, message: 'Not checked: the directory is not usable.' }
  ])
})

t.test('unknown job → 404; roles', async t => {
  const { jobUrl } = await adJob()
  const unknown = jobUrl.replace(/jobs\/API2AD\.[^/]+$/, 'jobs/API2AD.nope')
  assertGraphError(t, await testConnection(unknown), 404, 'ResourceNotFound')
  assertGraphError(t, await app.inject({ method: 'POST', url: `${jobUrl}/testConnection` }), 401)
  for (const role of [ROLE.upload, ROLE.directoryReadWrite, ROLE.provisioningLogRead]) {
    assertGraphError(t, await testConnection(jobUrl, auth([role])), 403)
  }
})
