import t, { type Test } from 'tap'
import { FilterError, parseAuditFilter, readDateTime } from '../../src/audit/audit-filter.js'

// The $filter forms the audit log reads, and the refusal (with a position) of everything else.

function refused (t: Test, filter: string, reason: RegExp, position: number): void {
  try {
    const parsed = parseAuditFilter(filter)
    t.fail(`${filter} should be refused, read as ${JSON.stringify(parsed)}`)
  } catch (err) {
    t.type(err, FilterError, filter)
    t.match((err as FilterError).reason, reason, `${filter}: says what`)
    t.equal((err as FilterError).position, position, `${filter}: at ${position}`)
  }
}

t.test('each supported condition', async t => {
  t.strictSame(parseAuditFilter("activityDisplayName eq 'Start synchronization job'"), { activity: 'Start synchronization job' })
  t.strictSame(parseAuditFilter("targetResources/any(t: t/id eq 'API2AAD.abc.123')"), { targetId: 'API2AAD.abc.123' })
  t.strictSame(parseAuditFilter("targetResources/any(r:r/id eq 'x')"), { targetId: 'x' }, 'any variable name, no spaces needed')
  t.strictSame(parseAuditFilter("targetResources/any(x1: x1/id eq 'x')"), { targetId: 'x' }, 'a variable name with a digit')
  t.strictSame(parseAuditFilter("result eq 'failure'"), { result: 'failure' })
  t.strictSame(parseAuditFilter("result eq 'Success'"), { result: 'success' }, 'the result value is not case sensitive')
  t.strictSame(parseAuditFilter("initiatedBy/app/appId eq 'hr-admin'"), { initiatedBy: 'hr-admin' })
  t.strictSame(parseAuditFilter('activityDateTime ge 2026-01-31T00:00:00Z'), { from: { at: '2026-01-31T00:00:00Z', inclusive: true } })
  t.strictSame(parseAuditFilter('activityDateTime gt 2026-01-31T10:20:30.1234567+02:00'), { from: { at: '2026-01-31T10:20:30.1234567+02:00', inclusive: false } })
  t.strictSame(parseAuditFilter('activityDateTime le 2026-01-31T10:20Z'), { to: { at: '2026-01-31T10:20Z', inclusive: true } })
  t.strictSame(parseAuditFilter('activityDateTime lt 2026-01-31'), { to: { at: '2026-01-31T00:00:00Z', inclusive: false } }, 'a date is midnight UTC')
})

t.test('conditions joined with and; names, operators and and are not case sensitive', async t => {
  t.strictSame(parseAuditFilter(
    "TARGETRESOURCES/ANY(T: t/ID EQ 'job') AND ActivityDisplayName Eq 'Pause synchronization job' and result eq 'success' and " +
    "initiatedby/APP/appid eq 'ops' and activityDateTime GE 2026-01-01T00:00:00Z and activityDateTime lt 2026-02-01T00:00:00Z"), {
    targetId: 'job',
    activity: 'Pause synchronization job',
    result: 'success',
    initiatedBy: 'ops',
    from: { at: '2026-01-01T00:00:00Z', inclusive: true },
    to: { at: '2026-02-01T00:00:00Z', inclusive: false }
  })
  t.strictSame(parseAuditFilter("  activityDisplayName\teq\n'x'  "), { activity: 'x' }, 'any whitespace between tokens')
})

t.test("strings: '' is a quote, and anything else is just text", async t => {
  t.strictSame(parseAuditFilter("activityDisplayName eq 'O''Brien'"), { activity: "O'Brien" })
  t.strictSame(parseAuditFilter("activityDisplayName eq ''''"), { activity: "'" })
  t.strictSame(parseAuditFilter("activityDisplayName eq ''"), { activity: '' })
  t.strictSame(parseAuditFilter("activityDisplayName eq ''' OR 1=1 --'"), { activity: "' OR 1=1 --" })
  t.strictSame(parseAuditFilter("targetResources/any(t: t/id eq 'x'') and result eq (''failure')"), { targetId: "x') and result eq ('failure" })
  t.strictSame(parseAuditFilter("initiatedBy/app/appId eq 'ünïcødé 🙂 and or ()'"), { initiatedBy: 'ünïcødé 🙂 and or ()' })
})

t.test('refused, with the position and what was expected', async t => {
  refused(t, '', /expected a property.*found the end/, 1)
  refused(t, '   ', /found the end/, 4)
  refused(t, "displayName eq 'x'", /'displayName' cannot be filtered on; supported: activityDisplayName/, 1)
  refused(t, "targetResources/any(t: t/displayName eq 'x')", /expected 't\/id'.*found 't\/displayName'/, 24)
  refused(t, "targetResources/any(t: s/id eq 'x')", /expected 't\/id'/, 24)
  refused(t, "targetResources/any(t: t/id ne 'x')", /expected 'eq', found 'ne'/, 29)
  refused(t, "targetResources/any(t: t/id eq 'x'", /expected '\)', found the end/, 35)
  refused(t, "targetResources/any('t': t/id eq 'x')", /expected a variable name/, 21)
  refused(t, "targetResources/all(t: t/id eq 'x')", /'targetResources\/all' cannot be filtered on/, 1)
  refused(t, "targetResources eq 'x'", /'targetResources' cannot be filtered on/, 1)
  refused(t, "activityDisplayName ne 'x'", /expected 'eq', found 'ne'/, 21)
  refused(t, "activityDisplayName eq 'x", /not closed/, 24)
  refused(t, 'activityDisplayName eq x', /expected a quoted string.*found 'x'/, 24)
  refused(t, 'activityDisplayName eq null', /expected a quoted string.*found 'null'/, 24)
  refused(t, 'activityDisplayName eq', /expected a quoted string.*found the end/, 23)
  refused(t, 'activityDisplayName eq "x"', /unexpected '"'/, 24)
  refused(t, "startswith(activityDisplayName, 'Start')", /'startswith' cannot be filtered on/, 1)
  refused(t, "(result eq 'success')", /expected a property, found '\('/, 1)
  refused(t, "not result eq 'success'", /'not' cannot be filtered on/, 1)
  refused(t, "result eq 'maybe'", /'success' or 'failure'/, 11)
  refused(t, "result eq 'success' or result eq 'failure'", /expected 'and' or the end, found 'or'/, 21)
  refused(t, "result eq 'success' and", /expected a property.*found the end/, 24)
  refused(t, "result eq 'success' result eq 'failure'", /expected 'and' or the end, found 'result'/, 21)
  refused(t, "result eq 'success';", /unexpected ';'/, 20)
  refused(t, "activityDisplayName eq 'a' and activityDisplayName eq 'b'", /already given at character 1/, 32)
  refused(t, 'activityDateTime ge 2026-01-01T00:00:00Z and activityDateTime gt 2026-01-02T00:00:00Z', /lower bound.*already given/, 46)
  refused(t, 'activityDateTime eq 2026-01-01T00:00:00Z', /takes ge, gt, le or lt, not 'eq'/, 18)
  refused(t, 'activityDateTime ge yesterday', /expected a date-time.*found 'yesterday'/, 21)
  refused(t, "activityDateTime ge '2026-01-01T00:00:00Z'", /without quotes/, 21)
  refused(t, 'activityDateTime ge 2026-01-01T10:00:00', /with its offset/, 21)
  refused(t, 'activityDateTime ge 2026-02-30T00:00:00Z', /date-time/, 21)
  refused(t, 'activityDateTime ge 2026-13-01', /date-time/, 21)
  refused(t, 'activityDateTime ge 0000-01-01T00:00:00Z', /date-time/, 21)
  refused(t, 'activityDateTime ge 2026-01-01T24:00:00Z', /date-time/, 21)
  refused(t, 'activityDateTime ge 275760-09-13T00:00:00Z', /date-time/, 21)
  refused(t, 'activityDateTime ge 1', /date-time/, 21)
  refused(t, '$filter=result', /unexpected '\$'/, 1)
})

t.test('readDateTime checks the calendar, not only the shape', async t => {
  t.equal(readDateTime('2024-02-29T12:00:00Z'), '2024-02-29T12:00:00Z', 'a leap day')
  t.equal(readDateTime('2000-02-29'), '2000-02-29T00:00:00Z', 'divisible by 400 is a leap year')
  t.equal(readDateTime('1900-02-29'), undefined, 'divisible by 100 is not')
  t.equal(readDateTime('2026-04-31T00:00:00Z'), undefined)
  t.equal(readDateTime('2026-01-01t00:00:00z'), '2026-01-01T00:00:00Z')
  t.equal(readDateTime('2026-01-01T00:60:00Z'), undefined)
  t.equal(readDateTime('2026-01-01T00:00:00+15:00'), undefined)
  t.equal(readDateTime('2026-01-01T00:00:00.12345678Z'), undefined, 'at most 7 fraction digits, as Graph writes')
})
