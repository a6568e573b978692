import t from 'tap'
import { ENTERPRISE, changes, createJob, logRows, outcomes, provisioningFixture, run, userByEmployeeId } from '../helpers/provisioning.js'

// The API2AAD template's default attribute mappings, checked on what lands in the directory.
const fixture = await provisioningFixture(t)
const { app } = fixture

/** The Graph attributes of a user resource (no ids or timestamps). */
function attributes (user: any): Record<string, unknown> {
  const { id, createdDateTime, lastModifiedDateTime, deletedDateTime, manager, ...rest } = user
  return rest
}

const EVERY_MAPPING_LANDED = {
  employeeId: 'E100',
  userPrincipalName: 'bjensen@contoso.com',
  mailNickname: 'bjensen',
  displayName: 'Babs Jensen',
  givenName: 'Barbara',
  surname: 'Jensen',
  mail: 'babs.work@contoso.com',
  accountEnabled: true,
  jobTitle: 'Tour Guide',
  department: 'Tour Operations',
  companyName: 'Universal Studios',
  city: 'Hollywood',
  state: 'CA',
  country: 'US',
  streetAddress: '100 Universal City Plaza',
  postalCode: '91608',
  mobilePhone: '+1 555 0102',
  businessPhones: ['+1 555 0101'],
  employeeType: 'Employee'
}

t.test('every default mapping lands on its Entra attribute (canonical attribute names)', async t => {
  const job = await createJob(app)
  const manager = await run(app, job, [{ data: { externalId: 'M100', userName: 'boss@contoso.com', displayName: 'The Boss' } }])
  t.same(outcomes(manager), [['M100', 'create', 'success', null]])
  const status = await run(app, job, [{
    data: {
      externalId: 'E100',
      userName: 'bjensen@contoso.com',
      active: true,
      displayName: 'Babs Jensen',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      title: 'Tour Guide',
      userType: 'Employee',
      // Non-work values come first: the mappings pick the entry whose type is "work" (or "mobile").
      emails: [{ type: 'home', value: 'babs@home.example' }, { type: 'work', value: 'babs.work@contoso.com', primary: true }],
      phoneNumbers: [{ type: 'home', value: '+1 555 0100' }, { type: 'work', value: '+1 555 0101' }, { type: 'mobile', value: '+1 555 0102' }],
      addresses: [
        { type: 'home', streetAddress: '1 Home Street', locality: 'Pasadena', region: 'NV', postalCode: '00000', country: 'CA' },
        { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US' }
      ],
      [ENTERPRISE]: { department: 'Tour Operations', organization: 'Universal Studios', employeeNumber: '701984', manager: { value: 'M100' } }
    }
  }])
  t.same(outcomes(status), [['E100', 'create', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E100')
  const boss = await userByEmployeeId(app, job, 'M100')
  t.strictSame(attributes(user), EVERY_MAPPING_LANDED)
  t.strictSame(user.manager, { id: boss.id }, 'enterprise manager.value (an externalId) becomes the manager link')
  t.equal(user.deletedDateTime, null)
  t.equal(status.operations[0].targetId, user.id)

  // The create's log entry lists every attribute it set, from nothing.
  const [row] = await logRows(fixture.db, status.id)
  t.strictSame(changes(row), {
    employeeId: [null, 'E100'],
    userPrincipalName: [null, 'bjensen@contoso.com'],
    mailNickname: [null, 'bjensen'],
    displayName: [null, 'Babs Jensen'],
    givenName: [null, 'Barbara'],
    surname: [null, 'Jensen'],
    mail: [null, 'babs.work@contoso.com'],
    accountEnabled: [null, 'true'],
    jobTitle: [null, 'Tour Guide'],
    department: [null, 'Tour Operations'],
    companyName: [null, 'Universal Studios'],
    city: [null, 'Hollywood'],
    state: [null, 'CA'],
    country: [null, 'US'],
    streetAddress: [null, '100 Universal City Plaza'],
    postalCode: [null, '91608'],
    mobilePhone: [null, '+1 555 0102'],
    businessPhones: [null, '["+1 555 0101"]'],
    employeeType: [null, 'Employee'],
    manager: [null, boss.id]
  })
})

t.test('attribute names, filter values and the enterprise URN are matched case-insensitively', async t => {
  const job = await createJob(app)
  await run(app, job, [{ data: { externalId: 'M200', userName: 'boss2@contoso.com', displayName: 'Boss Two' } }])
  const status = await run(app, job, [{
    data: {
      ExternalID: 'E100',
      username: 'bjensen@contoso.com',
      ACTIVE: true,
      DisplayName: 'Babs Jensen',
      Name: { GivenName: 'Barbara', FAMILYNAME: 'Jensen' },
      TITLE: 'Tour Guide',
      usertype: 'Employee',
      EMAILS: [{ Type: 'Home', Value: 'babs@home.example' }, { Type: 'Work', Value: 'babs.work@contoso.com' }],
      PhoneNumbers: [{ TYPE: 'WORK', VALUE: '+1 555 0101' }, { type: 'Mobile', value: '+1 555 0102' }],
      ADDRESSES: [{ Type: 'WORK', StreetAddress: '100 Universal City Plaza', Locality: 'Hollywood', REGION: 'CA', postalcode: '91608', Country: 'US' }],
      [ENTERPRISE.toUpperCase()]: { Department: 'Tour Operations', ORGANIZATION: 'Universal Studios', Manager: { Value: 'M200' } }
    }
  }])
  t.same(outcomes(status), [['E100', 'create', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E100')
  const boss = await userByEmployeeId(app, job, 'M200')
  t.strictSame(attributes(user), EVERY_MAPPING_LANDED)
  t.strictSame(user.manager, { id: boss.id })
})

t.test('mailNickname is the part of userName before the @; no work entry leaves the target empty', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [{
    data: {
      externalId: 'E300',
      userName: "o'brien.k-1_x@contoso.com",
      displayName: 'K. O\'Brien',
      emails: [{ type: 'home', value: 'kob@home.example' }],
      phoneNumbers: [{ type: 'fax', value: '+1 555 0199' }],
      addresses: [{ type: 'home', locality: 'Dublin' }]
    }
  }])
  t.same(outcomes(status), [['E300', 'create', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E300')
  t.strictSame(attributes(user), {
    employeeId: 'E300',
    userPrincipalName: "o'brien.k-1_x@contoso.com",
    mailNickname: "o'brien.k-1_x",
    displayName: 'K. O\'Brien',
    givenName: null,
    surname: null,
    mail: null,
    accountEnabled: true,
    jobTitle: null,
    department: null,
    companyName: null,
    city: null,
    state: null,
    country: null,
    streetAddress: null,
    postalCode: null,
    mobilePhone: null,
    businessPhones: [],
    employeeType: null
  }, 'absent attributes stay empty; active defaults to enabled')
  t.equal(user.manager, null)
})

t.test('active:false on create lands as accountEnabled false', async t => {
  const job = await createJob(app)
  const status = await run(app, job, [{ data: { externalId: 'E400', userName: 'off@contoso.com', displayName: 'Off', active: false } }])
  t.same(outcomes(status), [['E400', 'create', 'success', null]])
  const user = await userByEmployeeId(app, job, 'E400')
  t.equal(user.accountEnabled, false)
})
