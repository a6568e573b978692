import t from 'tap'
import { auth } from '../helpers/service.js'
import { changes, createJob, logRows, post, provisioningFixture, run, userByEmployeeId } from '../helpers/provisioning.js'

// Users and their log entries are written with COPY, a format of tabs, newlines and
// backslash escapes: text that holds those characters must still arrive exactly as sent.
const fixture = await provisioningFixture(t)
const { app, db } = fixture

const DISPLAY_NAME = 'Tab\there, line\nbreak, carriage\rreturn, back\\slash, \\N, "quoted", {braces}'
const GIVEN_NAME = '\\t is two characters'
const SURNAME = 'NULL'
const TITLE = 'ends with a backslash\\'
const PHONE = '+1 "555", {0100}\\'

t.test('a record full of COPY\'s special characters is stored and logged exactly as sent', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [post({
    externalId: 'H\t1',
    userName: 'h1@contoso.com',
    displayName: DISPLAY_NAME,
    name: { givenName: GIVEN_NAME, familyName: SURNAME },
    title: TITLE,
    phoneNumbers: [{ type: 'work', value: PHONE }, { type: 'mobile', value: 'NULL' }]
  }, 'bulk\\id\t1')])
  t.equal(status.operations[0].status, 'success')

  const user = await userByEmployeeId(app, job, 'H\t1')
  t.match(user, { employeeId: 'H\t1', displayName: DISPLAY_NAME, givenName: GIVEN_NAME, surname: SURNAME, jobTitle: TITLE, mobilePhone: 'NULL' })
  t.strictSame(user.businessPhones, [PHONE], 'a text[] element with quotes, a comma, braces and a backslash')

  const [row] = await logRows(db, status.id)
  t.match(row, { source_id: 'H\t1', source_display_name: DISPLAY_NAME, target_display_name: DISPLAY_NAME, bulk_id: 'bulk\\id\t1' })
  t.match(changes(row!), { displayName: [null, DISPLAY_NAME], givenName: [null, GIVEN_NAME], surname: [null, SURNAME], jobTitle: [null, TITLE], businessPhones: [null, JSON.stringify([PHONE])] })

  const response = await app.inject({ method: 'GET', url: `/auditLogs/provisioning?$filter=${encodeURIComponent(`jobId eq '${job.jobId}'`)}`, headers: auth() })
  t.equal(response.statusCode, 200)
  const [entry] = response.json().value
  t.match(entry, { sourceIdentity: { id: 'H\t1', displayName: DISPLAY_NAME }, targetIdentity: { displayName: DISPLAY_NAME } })
  t.match(entry.modifiedProperties.find((property: any) => property.displayName === 'displayName'), { oldValue: null, newValue: DISPLAY_NAME })
})

t.test('an update of such a user changes only what changed', async t => {
  const job = await createJob(app)
  const record = { externalId: 'H2', userName: 'h2@contoso.com', displayName: DISPLAY_NAME, title: TITLE }
  await run(app, job, [post(record)])
  const again = await run(app, job, [post(record)])
  t.match(again.operations[0], { action: 'other', status: 'skipped' }, 'read back, the stored values equal the record sent again')
  const renamed = await run(app, job, [post({ ...record, title: `${TITLE}\n2` })])
  const [row] = await logRows(db, renamed.id)
  t.strictSame(changes(row!), { jobTitle: [TITLE, `${TITLE}\n2`] })
})
