import type { Db } from '../../src/db/pool.js'
import { insertAdDirectory, insertAdUser, insertOu } from './ad-rows.js'

/**
 * A small ad directory whose names need every kind of care in DNs and LDIF: RFC 4514 escapes
 * (`,` `+` `"` `<` `>` `;` `=`, a leading `#` or space, a trailing space), non-ASCII names
 * (written base64), a user at the domain root, managers across OUs, a manager that no longer
 * exists and one not yet arrived, a disabled account and accountExpires.
 *
 * The expectations are written out by hand rather than computed with the code under test.
 * Every objectGUID is chosen so its bytes are ASCII letters and digits: the LDIF parser the
 * tests use decodes base64 values as UTF-8, which would mangle arbitrary bytes. Each GUID's
 * first three fields read backwards in its expected value (AD's little-endian layout).
 */
export const SAMPLE_DOMAIN = 'contoso.com'
export const SAMPLE_DOMAIN_DN = 'DC=contoso,DC=com'

export interface ExpectedEntry { dn: string, attributes: Record<string, string[]> }

const USER_CLASSES = ['top', 'person', 'organizationalPerson', 'user']
const OU_CLASSES = ['top', 'organizationalUnit']

export const LONG_DESCRIPTION = 'Leads the company; this description is long enough that its line in the LDIF file must fold at seventy-six characters, twice over.'

export async function insertSampleAdDirectory (db: Db): Promise<{ directoryId: string, expected: ExpectedEntry[] }> {
  const directoryId = await insertAdDirectory(db, SAMPLE_DOMAIN, 'OU=Users,DC=contoso,DC=com')
  // Ids that sort children before parents, so an export ordered by id alone would be caught.
  const users = await insertOu(db, directoryId, SAMPLE_DOMAIN, 'Users', null, 'ffffffff-0000-4000-8000-000000000001')
  const sales = await insertOu(db, directoryId, SAMPLE_DOMAIN, 'Sales', null, 'eeeeeeee-0000-4000-8000-000000000002')
  const rd = await insertOu(db, directoryId, SAMPLE_DOMAIN, 'R&D, Europe', sales, '22222222-0000-4000-8000-000000000003')
  const zurich = await insertOu(db, directoryId, SAMPLE_DOMAIN, 'Zürich', rd, '11111111-0000-4000-8000-000000000004')

  const boss = await insertAdUser(db, directoryId, {
    id: '41424344-4546-4748-494a-4b4c4d4e4f50',
    ou: users,
    cn: 'Ada Boss',
    samAccountName: 'aboss',
    userPrincipalName: 'ada.boss@contoso.com',
    employeeId: 'E100',
    attributes: { displayName: 'Ada Boss', givenName: 'Ada', sn: 'Boss', title: 'Chief Executive', department: '', l: 'Seattle', co: 'United States', extensionAttribute1: 'CC-1', description: LONG_DESCRIPTION, notAnAdAttribute: 'left out' }
  })
  const smith = await insertAdUser(db, directoryId, {
    id: '61626364-6566-6768-696a-6b6c6d6e6f70',
    ou: rd,
    cn: 'Smith, John',
    samAccountName: 'jsmith',
    userPrincipalName: 'john.smith@contoso.com',
    employeeId: 'E200',
    accountDisabled: true,
    attributes: { givenName: 'John', sn: 'Smith', accountExpires: '133500000000000000', title: null },
    managerId: boss
  })
  const hash = await insertAdUser(db, directoryId, {
    id: '51525354-5556-5758-595a-303132333435',
    ou: null,
    cn: '#hash',
    samAccountName: 'hash',
    employeeId: 'E300',
    attributes: { sn: 'Hash' },
    managerId: smith
  })
  await insertAdUser(db, directoryId, {
    id: '71727374-7576-7778-797a-363738393a3b',
    ou: users,
    cn: 'Trailing ',
    samAccountName: 'trailing',
    employeeId: 'E400',
    attributes: { sn: 'Trailing' }
  })
  await insertAdUser(db, directoryId, {
    id: '4a4b4c4d-4e4f-5051-5253-545556575859',
    ou: zurich,
    cn: 'Zoë Ünal',
    samAccountName: 'zunal',
    userPrincipalName: 'zoe.unal@contoso.com',
    employeeId: 'E500',
    attributes: { givenName: 'Zoë', sn: 'Ünal', l: 'Zürich', mobile: '+41 44 123 45 67' },
    managerId: hash
  })
  await insertAdUser(db, directoryId, {
    id: '6a6b6c6d-6e6f-7071-7273-747576777879',
    ou: users,
    cn: 'A+B "Q" <x>;y=z',
    samAccountName: 'special',
    employeeId: 'E600',
    attributes: { sn: 'Special', extensionAttribute15: 'last' }
  })
  await insertAdUser(db, directoryId, {
    id: '30313233-3435-3637-3839-414243444546',
    ou: users,
    cn: ' Leading',
    samAccountName: 'leading',
    employeeId: 'E700',
    attributes: { sn: 'Leading' },
    managerId: '99999999-0000-4000-8000-00000000dead'
  })
  await insertAdUser(db, directoryId, {
    id: '2b2c2d2e-2f30-3132-3334-353637383940',
    ou: users,
    cn: 'Pending Report',
    samAccountName: 'preport',
    employeeId: 'E800',
    attributes: { sn: 'Report' },
    managerExternalId: 'E999'
  })

  const user = (attributes: Record<string, string[]>): Record<string, string[]> => ({ objectClass: USER_CLASSES, ...attributes })
  const expected: ExpectedEntry[] = [
    { dn: 'DC=contoso,DC=com', attributes: { objectClass: ['top', 'domain'], dc: ['contoso'] } },
    { dn: 'OU=Users,DC=contoso,DC=com', attributes: { objectClass: OU_CLASSES, ou: ['Users'] } },
    { dn: 'OU=Sales,DC=contoso,DC=com', attributes: { objectClass: OU_CLASSES, ou: ['Sales'] } },
    { dn: 'OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com', attributes: { objectClass: OU_CLASSES, ou: ['R&D, Europe'] } },
    { dn: 'OU=Zürich,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com', attributes: { objectClass: OU_CLASSES, ou: ['Zürich'] } },
    {
      dn: 'CN=Ada Boss,OU=Users,DC=contoso,DC=com',
      attributes: user({
        cn: ['Ada Boss'], sAMAccountName: ['aboss'], userPrincipalName: ['ada.boss@contoso.com'], employeeID: ['E100'], userAccountControl: ['512'],
        objectGUID: ['DCBAFEHGIJKLMNOP'], displayName: ['Ada Boss'], givenName: ['Ada'], sn: ['Boss'], title: ['Chief Executive'], l: ['Seattle'],
        co: ['United States'], description: [LONG_DESCRIPTION], extensionAttribute1: ['CC-1']
      })
    },
    {
      dn: 'CN=Smith\\, John,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com',
      attributes: user({
        cn: ['Smith, John'], sAMAccountName: ['jsmith'], userPrincipalName: ['john.smith@contoso.com'], employeeID: ['E200'], userAccountControl: ['514'],
        objectGUID: ['dcbafehgijklmnop'], givenName: ['John'], sn: ['Smith'], accountExpires: ['133500000000000000'],
        manager: ['CN=Ada Boss,OU=Users,DC=contoso,DC=com']
      })
    },
    {
      dn: 'CN=\\#hash,DC=contoso,DC=com',
      attributes: user({
        cn: ['#hash'], sAMAccountName: ['hash'], employeeID: ['E300'], userAccountControl: ['512'], objectGUID: ['TSRQVUXWYZ012345'], sn: ['Hash'],
        manager: ['CN=Smith\\, John,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com']
      })
    },
    {
      dn: 'CN=Trailing\\ ,OU=Users,DC=contoso,DC=com',
      attributes: user({ cn: ['Trailing '], sAMAccountName: ['trailing'], employeeID: ['E400'], userAccountControl: ['512'], objectGUID: ['tsrqvuxwyz6789:;'], sn: ['Trailing'] })
    },
    {
      dn: 'CN=Zoë Ünal,OU=Zürich,OU=R&D\\, Europe,OU=Sales,DC=contoso,DC=com',
      attributes: user({
        cn: ['Zoë Ünal'], sAMAccountName: ['zunal'], userPrincipalName: ['zoe.unal@contoso.com'], employeeID: ['E500'], userAccountControl: ['512'],
        objectGUID: ['MLKJONQPRSTUVWXY'], givenName: ['Zoë'], sn: ['Ünal'], l: ['Zürich'], mobile: ['+41 44 123 45 67'],
        manager: ['CN=\\#hash,DC=contoso,DC=com']
      })
    },
    {
      dn: 'CN=A\\+B \\"Q\\" \\<x\\>\\;y\\=z,OU=Users,DC=contoso,DC=com',
      attributes: user({
        cn: ['A+B "Q" <x>;y=z'], sAMAccountName: ['special'], employeeID: ['E600'], userAccountControl: ['512'], objectGUID: ['mlkjonqprstuvwxy'],
        sn: ['Special'], extensionAttribute15: ['last']
      })
    },
    {
      dn: 'CN=\\ Leading,OU=Users,DC=contoso,DC=com',
      attributes: user({ cn: [' Leading'], sAMAccountName: ['leading'], employeeID: ['E700'], userAccountControl: ['512'], objectGUID: ['3210547689ABCDEF'], sn: ['Leading'] })
    },
    {
      dn: 'CN=Pending Report,OU=Users,DC=contoso,DC=com',
      attributes: user({ cn: ['Pending Report'], sAMAccountName: ['preport'], employeeID: ['E800'], userAccountControl: ['512'], objectGUID: ['.-,+0/213456789@'], sn: ['Report'] })
    }
  ]
  return { directoryId, expected }
}
