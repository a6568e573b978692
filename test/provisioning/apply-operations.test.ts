import t from 'tap'
import { randomUUID } from 'node:crypto'
import { applyOperations, type ApplyContext, type PreparedOperation } from '../../src/provisioning/apply-operations.js'
import { DirectoryIndex } from '../../src/provisioning/directory-index.js'
import { applyMappings } from '../../src/mapping/apply-mappings.js'
import { API2AAD_DEFAULT_SCHEMA } from '../../src/mapping/api2aad-defaults.js'
import { compileSchema } from '../../src/mapping/compiled-schema.js'
import { ENTRA_ATTRIBUTES, type EntraUserRecord } from '../../src/directory/entra/user.js'
import type { BulkOperation } from '../../src/scim/types.js'

// applyOperations is pure: hand-built users in, outcomes and final states out. No database.

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const EARLIER = new Date('2024-01-01T00:00:00.000Z')
const NOW = new Date('2024-06-01T12:00:00.000Z')
const context: ApplyContext = { jobId: 'API2AAD.job', verifiedDomains: ['contoso.com', 'fabrikam.com'], now: NOW }

function record (employeeId: string, userPrincipalName: string, extra: Partial<EntraUserRecord> = {}): EntraUserRecord {
  const user: any = { id: randomUUID(), managerId: null, managerExternalId: null, createdByJobId: 'API2AAD.job', createdAt: EARLIER, lastModifiedAt: EARLIER, deletedAt: null }
  for (const attribute of ENTRA_ATTRIBUTES) user[attribute] = null
  Object.assign(user, {
    employeeId,
    userPrincipalName,
    mailNickname: userPrincipalName.slice(0, userPrincipalName.indexOf('@')),
    displayName: `User ${employeeId}`,
    accountEnabled: true,
    businessPhones: [],
    ...extra
  })
  return user as EntraUserRecord
}

type Op = { method?: 'POST' | 'DELETE', bulkId?: string, data: Record<string, unknown> }

/** What process-batch does before applyOperations: index the operations and map their data. */
const DEFAULT_SCHEMA = compileSchema(API2AAD_DEFAULT_SCHEMA, 1)

function prepare (ops: Op[]): PreparedOperation[] {
  const operations: BulkOperation[] = ops.map((op, index) => ({ index, method: op.method ?? 'POST', path: '/Users', data: op.data as any, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}) }))
  const byBulkId = new Map(operations.filter(op => op.bulkId !== undefined).map(op => [op.bulkId!, op.data.externalId]))
  return operations.map(op => ({ op, mapped: applyMappings(op.data as unknown as Record<string, unknown>, DEFAULT_SCHEMA, {}, id => byBulkId.get(id)) }))
}

const upsert = (externalId: string, userName?: string, extra: Record<string, unknown> = {}): Op =>
  ({ data: { externalId, ...(userName !== undefined ? { userName, displayName: `User ${externalId}` } : {}), ...extra } })
const remove = (externalId: string): Op => ({ method: 'DELETE', data: { externalId } })

const summary = (result: ReturnType<typeof applyOperations>): Array<[string | null, string, string, string | null]> =>
  result.outcomes.map(o => [o.externalId, o.action, o.status, o.errorCode])
const finalState = (result: ReturnType<typeof applyOperations>, employeeId: string): EntraUserRecord | undefined =>
  result.changed.find(user => user.employeeId === employeeId)

t.test('a user renames its UPN and another user takes the old one in the same request', async t => {
  const a = record('A', 'alex@contoso.com')
  const b = record('B', 'blake@contoso.com')
  const result = applyOperations(prepare([upsert('A', 'alex2@contoso.com'), upsert('B', 'alex@contoso.com')]), [a, b], context)
  t.same(summary(result), [['A', 'update', 'success', null], ['B', 'update', 'success', null]])
  t.equal(finalState(result, 'A')?.userPrincipalName, 'alex2@contoso.com')
  t.equal(finalState(result, 'B')?.userPrincipalName, 'alex@contoso.com')
  t.equal(finalState(result, 'B')?.mailNickname, 'alex')
  t.strictSame(result.outcomes[1].modifiedProperties, [
    { displayName: 'userPrincipalName', oldValue: 'blake@contoso.com', newValue: 'alex@contoso.com' },
    { displayName: 'mailNickname', oldValue: 'blake', newValue: 'alex' }
  ])
  // The released value is taken once only: a third user cannot have it too.
  const third = applyOperations(prepare([upsert('A', 'alex2@contoso.com'), upsert('B', 'alex@contoso.com'), upsert('C', 'ALEX@contoso.com')]), [a, b], context)
  t.same(summary(third).at(-1), ['C', 'create', 'failure', 'EntryConflict'])
  t.match(third.outcomes[2].reason, new RegExp(`${b.id}.*'B'`))
})

t.test('a three-step swap of UPNs inside one request', async t => {
  const a = record('A', 'alex@contoso.com')
  const b = record('B', 'blake@contoso.com')
  const result = applyOperations(prepare([
    upsert('A', 'tmp@contoso.com'), upsert('B', 'alex@contoso.com'), upsert('A', 'blake@contoso.com')
  ]), [a, b], context)
  t.same(summary(result), [['A', 'update', 'success', null], ['B', 'update', 'success', null], ['A', 'update', 'success', null]])
  t.equal(finalState(result, 'A')?.userPrincipalName, 'blake@contoso.com')
  t.equal(finalState(result, 'B')?.userPrincipalName, 'alex@contoso.com')
  t.equal(result.changed.length, 2, 'each user written once, in its final state')
})

t.test('a UPN is not free before its holder releases it', async t => {
  const a = record('A', 'alex@contoso.com')
  const b = record('B', 'blake@contoso.com')
  const result = applyOperations(prepare([upsert('B', 'alex@contoso.com'), upsert('A', 'alex2@contoso.com')]), [a, b], context)
  t.same(summary(result), [['B', 'update', 'failure', 'EntryConflict'], ['A', 'update', 'success', null]])
  t.strictSame(result.changed.map(user => user.employeeId), ['A'], 'the failed operation wrote nothing')
  t.equal(result.outcomes[0].targetId, b.id)
  t.strictSame(result.outcomes[0].modifiedProperties, [])
})

t.test('a failed rename does not release the old UPN', async t => {
  const a = record('A', 'alex@contoso.com')
  const result = applyOperations(prepare([upsert('A', 'alex@example.com'), upsert('C', 'alex@contoso.com')]), [a], context)
  t.same(summary(result), [['A', 'update', 'failure', 'InvalidDomain'], ['C', 'create', 'failure', 'EntryConflict']])
  t.strictSame(result.changed, [])
  t.strictSame(result.arrivedIds, [])
})

t.test('uniqueness is case-insensitive, for userPrincipalName and for mailNickname', async t => {
  const a = record('A', 'Alex@Contoso.com')
  const result = applyOperations(prepare([
    upsert('B', 'alex@CONTOSO.com'), upsert('C', 'ALEX@fabrikam.com'), upsert('A', 'alex@contoso.com')
  ]), [a], context)
  t.same(summary(result), [['B', 'create', 'failure', 'EntryConflict'], ['C', 'create', 'failure', 'EntryConflict'], ['A', 'update', 'success', null]])
  t.match(result.outcomes[0].reason, /^userPrincipalName/)
  t.match(result.outcomes[1].reason, /^mailNickname/)
  t.strictSame(result.outcomes[2].modifiedProperties, [
    { displayName: 'userPrincipalName', oldValue: 'Alex@Contoso.com', newValue: 'alex@contoso.com' },
    { displayName: 'mailNickname', oldValue: 'Alex', newValue: 'alex' }
  ], 'a user may change the case of its own UPN')
})

t.test('a soft-delete releases the UPN within the request; restoring then conflicts', async t => {
  const a = record('A', 'alex@contoso.com')
  const result = applyOperations(prepare([remove('A'), upsert('B', 'alex@contoso.com'), upsert('A', 'alex@contoso.com')]), [a], context)
  t.same(summary(result).map(([id, , status, code]) => [id, status, code]), [['A', 'success', null], ['B', 'success', null], ['A', 'failure', 'EntryConflict']])
  t.equal(finalState(result, 'A')?.deletedAt, NOW, 'A stays deleted')
  t.equal(finalState(result, 'B')?.userPrincipalName, 'alex@contoso.com')
  // A soft-deleted user loaded from the database holds nothing either.
  const deleted = record('D', 'dana@contoso.com', { deletedAt: EARLIER })
  const reuse = applyOperations(prepare([upsert('E', 'Dana@contoso.com')]), [deleted], context)
  t.same(summary(reuse), [['E', 'create', 'success', null]])
})

t.test('DirectoryIndex drops the values a user no longer holds', async t => {
  const a = record('A', 'alex@contoso.com')
  const index = new DirectoryIndex([a])
  t.equal(index.holderOfUpn('ALEX@contoso.com'), a)
  t.equal(index.holderOfMailNickname('ALEX'), a)
  const renamed = { ...a, userPrincipalName: 'sam@contoso.com', mailNickname: 'sam' }
  index.put(renamed)
  t.equal(index.holderOfUpn('alex@contoso.com'), undefined)
  t.equal(index.holderOfMailNickname('alex'), undefined)
  t.equal(index.holderOfUpn('SAM@contoso.com'), renamed)
  t.equal(index.byEmployeeId('A'), renamed)
  const b = record('B', 'alex@contoso.com')
  index.put(b)
  // A's stale state must not evict B when A is written again.
  index.put({ ...renamed, jobTitle: 'Clerk' })
  t.equal(index.holderOfUpn('alex@contoso.com'), b)
  index.put({ ...renamed, deletedAt: NOW })
  t.equal(index.holderOfUpn('sam@contoso.com'), undefined)
  t.equal(index.liveByEmployeeId('A'), undefined)
  t.equal(index.byEmployeeId('A')?.deletedAt, NOW)
})

t.test('create, update, skip, disable, delete: actions, modified properties, timestamps', async t => {
  const a = record('A', 'alex@contoso.com', { jobTitle: 'Clerk' })
  const b = record('B', 'blake@contoso.com')
  const d = record('D', 'dana@contoso.com')
  const result = applyOperations(prepare([
    upsert('N', 'new@contoso.com', { title: 'Hire', phoneNumbers: [{ type: 'work', value: '1' }] }),
    upsert('A', undefined, { title: 'Supervisor' }),
    upsert('B', 'blake@contoso.com'),
    upsert('D', undefined, { active: false }),
    remove('A'),
    remove('Z')
  ]), [a, b, d], context)
  t.same(summary(result), [
    ['N', 'create', 'success', null],
    ['A', 'update', 'success', null],
    ['B', 'other', 'skipped', null],
    ['D', 'disable', 'success', null],
    ['A', 'delete', 'success', null],
    ['Z', 'delete', 'skipped', null]
  ])
  t.strictSame(result.outcomes[0].modifiedProperties.map(p => [p.displayName, p.oldValue, p.newValue]), [
    ['employeeId', null, 'N'], ['userPrincipalName', null, 'new@contoso.com'], ['mailNickname', null, 'new'], ['displayName', null, 'User N'],
    ['accountEnabled', null, 'true'], ['jobTitle', null, 'Hire'], ['businessPhones', null, '["1"]']
  ])
  t.strictSame(result.outcomes[1].modifiedProperties, [{ displayName: 'jobTitle', oldValue: 'Clerk', newValue: 'Supervisor' }])
  t.strictSame(result.outcomes[2].modifiedProperties, [])
  t.strictSame(result.outcomes[3].modifiedProperties, [{ displayName: 'accountEnabled', oldValue: 'true', newValue: 'false' }])
  t.strictSame(result.outcomes[4].modifiedProperties, [{ displayName: 'deletedDateTime', oldValue: null, newValue: NOW.toISOString() }])
  t.strictSame(result.changed.map(user => user.employeeId).sort(), ['A', 'D', 'N'], 'the skipped user is not rewritten')
  const n = finalState(result, 'N')!
  t.equal(n.createdAt, NOW)
  t.equal(n.lastModifiedAt, NOW)
  t.equal(n.createdByJobId, 'API2AAD.job')
  t.strictSame(n.businessPhones, ['1'])
  t.equal(finalState(result, 'A')?.jobTitle, 'Supervisor', 'the delete keeps what the update wrote')
  t.equal(finalState(result, 'A')?.deletedAt, NOW)
  t.equal(finalState(result, 'A')?.createdAt, EARLIER)
  t.strictSame(result.arrivedIds, [n.id])
  t.strictSame(result.deletedIds, [a.id])
  // Inputs are not mutated.
  t.equal(a.jobTitle, 'Clerk')
  t.equal(a.deletedAt, null)
  t.equal(d.accountEnabled, true)
})

t.test('restoring a soft-deleted user keeps its id and unsent attributes', async t => {
  const gone = record('A', 'alex@contoso.com', { deletedAt: EARLIER, jobTitle: 'Clerk', department: 'Sales' })
  const result = applyOperations(prepare([upsert('A', 'alex@contoso.com', { title: 'Lead' })]), [gone], context)
  t.same(summary(result), [['A', 'update', 'success', null]])
  const restored = finalState(result, 'A')!
  t.equal(restored.id, gone.id)
  t.equal(restored.deletedAt, null)
  t.equal(restored.department, 'Sales')
  t.equal(restored.jobTitle, 'Lead')
  t.strictSame(result.outcomes[0].modifiedProperties, [
    { displayName: 'jobTitle', oldValue: 'Clerk', newValue: 'Lead' },
    { displayName: 'deletedDateTime', oldValue: EARLIER.toISOString(), newValue: null }
  ])
  t.strictSame(result.arrivedIds, [gone.id])
  t.strictSame(result.deletedIds, [])
})

t.test('managers: earlier user, later operation by bulkId, a cycle, a missing one', async t => {
  const boss = record('BOSS', 'boss@contoso.com')
  const result = applyOperations(prepare([
    upsert('R1', 'r1@contoso.com', { [ENTERPRISE]: { manager: { value: 'BOSS' } } }),
    { bulkId: 'x', data: { externalId: 'X', userName: 'x@contoso.com', displayName: 'X', [ENTERPRISE]: { manager: { value: 'bulkId:y' } } } },
    { bulkId: 'y', data: { externalId: 'Y', userName: 'y@contoso.com', displayName: 'Y', [ENTERPRISE]: { manager: { value: 'bulkId:x' } } } },
    upsert('R2', 'r2@contoso.com', { [ENTERPRISE]: { manager: { value: 'NOBODY' } } }),
    upsert('R3', 'r3@contoso.com', { [ENTERPRISE]: { manager: { value: 'R3' } } })
  ]), [boss], context)
  t.same(summary(result).map(([, , status]) => status), ['success', 'success', 'success', 'success', 'success'])
  const x = finalState(result, 'X')!
  const y = finalState(result, 'Y')!
  t.equal(finalState(result, 'R1')?.managerId, boss.id)
  t.equal(x.managerId, y.id)
  t.equal(y.managerId, x.id)
  t.equal(x.managerExternalId, 'Y', 'the bulkId is stored as the externalId it stands for')
  t.equal(finalState(result, 'R2')?.managerId, null)
  t.equal(finalState(result, 'R2')?.managerExternalId, 'NOBODY', 'kept, so it links when the manager arrives')
  t.equal(finalState(result, 'R3')?.managerId, null, 'never its own manager')
  const steps = (i: number): string[] => result.outcomes[i].steps.filter(s => s.provisioningStepType === 'referenceResolution').map(s => s.status)
  t.strictSame(steps(0), [])
  t.strictSame(steps(1), ['warning', 'success'])
  t.strictSame(steps(2), [])
  t.strictSame(steps(3), ['warning'])
  t.strictSame(result.outcomes[1].modifiedProperties.filter(p => p.displayName === 'manager'), [{ displayName: 'manager', oldValue: null, newValue: y.id }])
})

t.test('a user created then deleted in the same request did not arrive', async t => {
  // Reports waiting for it must not be linked to a deleted user (process-batch links reports of arrivedIds).
  const result = applyOperations(prepare([upsert('M', 'm@contoso.com'), remove('M')]), [], context)
  t.same(summary(result), [['M', 'create', 'success', null], ['M', 'delete', 'success', null]])
  const m = finalState(result, 'M')!
  t.equal(m.deletedAt, NOW)
  t.strictSame(result.deletedIds, [m.id])
  t.strictSame(result.arrivedIds, [], 'a deleted user is not among the arrived ones')
})

t.test('a full restart\'s record applies only while it is still the user\'s last one, and is quiet when it changes nothing', async t => {
  const last = { jobId: 'API2AAD.job', requestId: randomUUID(), operationIndex: 3 }
  const newer = { jobId: 'API2AAD.job', requestId: randomUUID(), operationIndex: 0 }
  const a = record('A', 'alex@contoso.com', { source: last })
  const b = record('B', 'blake@contoso.com', { source: newer })
  const c = record('C', 'casey@contoso.com', { source: last, jobTitle: 'Chef' })
  const d = record('D', 'drew@contoso.com', { source: last, deletedAt: EARLIER })
  const [opA, opB, opC, opD] = prepare([
    upsert('A', 'alex@contoso.com', { title: 'Pilot' }),
    upsert('B', 'blake@contoso.com', { title: 'Pilot' }),
    upsert('C', 'casey@contoso.com', { title: 'Chef' }),
    upsert('D', 'drew@contoso.com', { title: 'Pilot' })
  ])
  const resync = (operation: PreparedOperation): PreparedOperation => ({ ...operation, source: last, resync: true })
  const result = applyOperations([resync(opA!), resync(opB!), resync(opC!), resync(opD!)], [a, b, c, d], context)
  t.same(result.outcomes.map(o => [o.externalId, o.action, o.quiet === true]), [
    ['A', 'update', false],
    ['B', 'other', true],
    ['C', 'other', true],
    ['D', 'other', true]
  ], 'A changes; B has a newer record; C is unchanged; D is deleted and stays so')
  t.same(result.changed.map(user => user.employeeId), ['A'])
  t.same(finalState(result, 'A')?.source, last, 'the source stays the record re-applied')
})

t.test('every POST keeps where its record is on the user, also when it changes nothing', async t => {
  const a = record('A', 'alex@contoso.com', { jobTitle: 'Pilot' })
  const [opA, opB] = prepare([upsert('A', 'alex@contoso.com', { title: 'Pilot' }), upsert('B', 'blake@contoso.com')])
  const source = (operationIndex: number): { jobId: string, requestId: string, operationIndex: number } => ({ jobId: 'API2AAD.job', requestId: '00000000-0000-0000-0000-00000000000a', operationIndex })
  const result = applyOperations([{ ...opA!, source: source(0) }, { ...opB!, source: source(1) }], [a], context)
  t.same(summary(result), [['A', 'other', 'skipped', null], ['B', 'create', 'success', null]])
  t.same(finalState(result, 'B')?.source, source(1), 'a created user carries its record\'s place')
  t.same(result.unchangedSources, [{ id: a.id, source: source(0) }], 'an unchanged user\'s new place is written on its own')
})
