import t, { type Test } from 'tap'
import { FilterError, parseLogFilter, type LogFilter } from '../../src/logs/log-filter.js'
import { filterCondition } from '../../src/logs/log-filter-sql.js'

// The provisioning log's $filter: the tree each form parses to, the SQL it becomes (values
// only ever as parameters), and the refusal, with a position, of everything else.

const JOB = 'API2AAD.0123456789abcdef0123456789abcdef.5b1c7a0e-4f7e-4a57-9a38-0c1f1f2b7d11'
const UUID = '0b6e5f0c-1d2e-4f3a-9b8c-7d6e5f4a3b2c'

function refused (t: Test, filter: string, reason: RegExp, position: number): void {
  try {
    const parsed = parseLogFilter(filter)
    t.fail(`${filter} should be refused, read as ${JSON.stringify(parsed)}`)
  } catch (err) {
    t.type(err, FilterError, filter)
    t.match((err as FilterError).reason, reason, `${filter}: says what`)
    t.equal((err as FilterError).position, position, `${filter}: at ${position}`)
  }
}

function sql (filter: LogFilter): { text: string, params: unknown[] } {
  const params: unknown[] = []
  const text = filterCondition(filter, value => { params.push(value); return `$${params.length}` })
  return { text, params }
}

const eq = (field: string, value: string | null): LogFilter => ({ kind: 'compare', field, operator: 'eq', value } as LogFilter)

t.test('every property, by every name it goes by, not case sensitive', async t => {
  const names: Array<[string, string, string]> = [
    ['jobId', 'jobId', `'${JOB}'`],
    ['JOBID', 'jobId', `'${JOB}'`],
    ['jobid', 'jobId', `'${JOB}'`],
    ['id', 'id', `'${UUID}'`],
    ['cycleId', 'cycleId', `'${UUID}'`],
    ['changeId', 'changeId', `'${UUID}'`],
    ['provisioningAction', 'provisioningAction', "'create'"],
    ['action', 'provisioningAction', "'create'"],
    ['provisioningStatusInfo/status', 'status', "'failure'"],
    ['statusInfo/status', 'status', "'failure'"],
    ['StatusInfo/Status', 'status', "'failure'"],
    ['errorCode', 'errorCode', "'InvalidDomain'"],
    ['provisioningStatusInfo/errorInformation/errorCode', 'errorCode', "'InvalidDomain'"],
    ['sourceIdentity/id', 'sourceId', "'701984'"],
    ['sourceIdentity/displayName', 'sourceDisplayName', "'Ada'"],
    ['targetIdentity/id', 'targetId', `'${UUID}'`],
    ['targetIdentity/displayName', 'targetDisplayName', "'Ada'"],
    ['activityDateTime', 'activityDateTime', '2026-01-31T00:00:00Z'],
    ['ACTIVITYDATETIME', 'activityDateTime', '2026-01-31T00:00:00Z']
  ]
  for (const [name, field, value] of names) {
    const parsed = parseLogFilter(`${name} eq ${value}`) as any
    t.equal(parsed.kind, 'compare', name)
    t.equal(parsed.field, field, `${name} reads ${field}`)
  }
})

t.test('operators: eq, ne, gt, ge, lt, le, not case sensitive', async t => {
  for (const operator of ['eq', 'ne', 'gt', 'ge', 'lt', 'le']) {
    t.strictSame(parseLogFilter(`sourceIdentity/id ${operator.toUpperCase()} 'E1'`), { kind: 'compare', field: 'sourceId', operator, value: 'E1' })
    t.strictSame(parseLogFilter(`activityDateTime ${operator} 2026-01-31T10:20:30.1234567+02:00`),
      { kind: 'compare', field: 'activityDateTime', operator, value: '2026-01-31T10:20:30.1234567+02:00' })
  }
})

t.test('functions: contains and startswith on text and id properties', async t => {
  t.strictSame(parseLogFilter("contains(sourceIdentity/displayName, 'ada')"), { kind: 'match', field: 'sourceDisplayName', function: 'contains', value: 'ada' })
  t.strictSame(parseLogFilter("STARTSWITH(errorCode,'Invalid')"), { kind: 'match', field: 'errorCode', function: 'startswith', value: 'Invalid' })
  t.strictSame(parseLogFilter("startswith(id, '0B6E')"), { kind: 'match', field: 'id', function: 'startswith', value: '0b6e' }, 'a UUID prefix in lower case')
  t.strictSame(parseLogFilter("contains(jobId, 'API2AAD')"), { kind: 'match', field: 'jobId', function: 'contains', value: 'API2AAD' })
})

t.test('values: enums by any case, UUIDs in lower case, dates leniently, null', async t => {
  t.strictSame(parseLogFilter("statusInfo/status eq 'Failure'"), eq('status', 'failure'))
  t.strictSame(parseLogFilter("action eq 'STAGEDDELETE'"), eq('provisioningAction', 'stagedDelete'))
  t.strictSame(parseLogFilter(`id eq '${UUID.toUpperCase()}'`), eq('id', UUID))
  t.strictSame(parseLogFilter("activityDateTime ge '2026-01-31T00:00:00Z'"), { kind: 'compare', field: 'activityDateTime', operator: 'ge', value: '2026-01-31T00:00:00Z' }, 'quoted')
  t.strictSame(parseLogFilter('activityDateTime lt 2026-01-31'), { kind: 'compare', field: 'activityDateTime', operator: 'lt', value: '2026-01-31T00:00:00Z' }, 'a date is midnight UTC')
  t.strictSame(parseLogFilter('targetIdentity/id eq null'), eq('targetId', null))
  t.strictSame(parseLogFilter('errorCode NE NULL'), { kind: 'compare', field: 'errorCode', operator: 'ne', value: null })
  t.strictSame(parseLogFilter("sourceIdentity/id eq 'O''Brien'"), eq('sourceId', "O'Brien"))
  t.strictSame(parseLogFilter("sourceIdentity/id eq ''"), eq('sourceId', ''))
})

t.test('precedence: not over and over or; parentheses group', async t => {
  const a = eq('sourceId', 'a')
  const b = eq('sourceId', 'b')
  const c = eq('sourceId', 'c')
  t.strictSame(parseLogFilter("sourceIdentity/id eq 'a' or sourceIdentity/id eq 'b' and sourceIdentity/id eq 'c'"),
    { kind: 'or', operands: [a, { kind: 'and', operands: [b, c] }] })
  t.strictSame(parseLogFilter("(sourceIdentity/id eq 'a' or sourceIdentity/id eq 'b') and sourceIdentity/id eq 'c'"),
    { kind: 'and', operands: [{ kind: 'or', operands: [a, b] }, c] })
  t.strictSame(parseLogFilter("not sourceIdentity/id eq 'a' and sourceIdentity/id eq 'b'"),
    { kind: 'and', operands: [{ kind: 'not', operand: a }, b] })
  t.strictSame(parseLogFilter("not (sourceIdentity/id eq 'a' and sourceIdentity/id eq 'b')"),
    { kind: 'not', operand: { kind: 'and', operands: [a, b] } })
  t.strictSame(parseLogFilter("NOT NOT sourceIdentity/id eq 'a'"), { kind: 'not', operand: { kind: 'not', operand: a } })
  t.strictSame(parseLogFilter("((((sourceIdentity/id eq 'a'))))"), a)
  t.strictSame(parseLogFilter("sourceIdentity/id eq 'a' AND sourceIdentity/id eq 'b' AND sourceIdentity/id eq 'c'"), { kind: 'and', operands: [a, b, c] })
  t.strictSame(parseLogFilter("\tsourceIdentity/id\neq 'a'  "), a, 'any whitespace')
})

t.test("strings: '' is a quote, and anything else is just text", async t => {
  const hostile = [
    "' OR 1=1 --",
    "'); DROP TABLE provisioning_logs; --",
    '/* comment */',
    '%_\\',
    'ünïcødé 🙂 and or () ,',
    '\u0000'.replace('\u0000', '\u200b'),
    '$1'
  ]
  for (const value of hostile) {
    const filter = parseLogFilter(`sourceIdentity/displayName eq '${value.replaceAll("'", "''")}'`)
    t.strictSame(filter, eq('sourceDisplayName', value), JSON.stringify(value))
    const { text, params } = sql(filter)
    t.equal(text, '(source_display_name = $1 AND source_display_name IS NOT NULL)', `${JSON.stringify(value)}: a parameter`)
    t.strictSame(params, [value])
  }
})

t.test('the SQL: fixed columns and operators, every value a parameter', async t => {
  t.strictSame(sql(parseLogFilter(`jobId eq '${JOB}' and statusInfo/status eq 'failure' and activityDateTime ge 2026-01-01T00:00:00Z`)), {
    text: '((job_id = $1) AND (status = $2) AND (activity_at >= $3::timestamptz))',
    params: [JOB, 'failure', '2026-01-01T00:00:00Z']
  })
  t.strictSame(sql(parseLogFilter(`cycleId ne '${UUID}' or id lt '${UUID}'`)), {
    text: '((cycle_id IS DISTINCT FROM $1::uuid) OR (id < $2::uuid))',
    params: [UUID, UUID]
  })
  t.strictSame(sql(parseLogFilter("not (errorCode eq 'X')")), { text: '(NOT (error_code = $1 AND error_code IS NOT NULL))', params: ['X'] })
  t.strictSame(sql(parseLogFilter('targetIdentity/id eq null or errorCode ne null')), { text: '((target_id IS NULL) OR (error_code IS NOT NULL))', params: [] })
  t.strictSame(sql(parseLogFilter("contains(sourceIdentity/displayName, '50%_off\\')")), {
    text: "(source_display_name ILIKE $1 ESCAPE '\\' AND source_display_name IS NOT NULL)",
    params: ['%50\\%\\_off\\\\%']
  }, 'LIKE wildcards in the value are escaped')
  t.strictSame(sql(parseLogFilter("startswith(changeId, 'AB')")), { text: "(change_id::text ILIKE $1 ESCAPE '\\')", params: ['ab%'] })
})

t.test('refused, with the position and what is supported', async t => {
  refused(t, '', /expected a condition.*found the end/, 1)
  refused(t, "displayName eq 'x'", /'displayName' cannot be filtered on; supported: properties id, jobId/, 1)
  refused(t, "jobId eq 'x' and durationInMilliseconds gt 5", /'durationInMilliseconds' cannot be filtered on/, 18)
  refused(t, "jobId like 'x'", /expected an operator \(eq, ne, gt, ge, lt, le\) after jobId, found 'like'/, 7)
  refused(t, "jobId = 'x'", /unexpected '='/, 7)
  refused(t, 'jobId eq', /expected a value, found the end/, 9)
  refused(t, 'jobId eq x', /expected a quoted string \('…'\) or null, found 'x'/, 10)
  refused(t, 'jobId eq "x"', /unexpected '"'/, 10)
  refused(t, "jobId eq 'x", /not closed/, 10)
  refused(t, "jobId eq 'x' or", /expected a condition.*found the end/, 16)
  refused(t, "jobId eq 'x' jobId eq 'y'", /expected 'and', 'or' or the end, found 'jobId'/, 14)
  refused(t, "jobId eq 'x';", /unexpected ';'/, 13)
  refused(t, "jobId eq 'x' -- comment", /unexpected '-'|found '--'/, 14)
  refused(t, "(jobId eq 'x'", /expected '\)', found the end/, 14)
  refused(t, "jobId eq 'x')", /expected 'and', 'or' or the end, found '\)'/, 13)
  refused(t, "statusInfo/status gt 'failure'", /takes eq or ne, not 'gt'/, 19)
  refused(t, "statusInfo/status eq 'failed'", /is one of 'success', 'failure', 'skipped', 'warning', not the string 'failed'/, 22)
  refused(t, "action eq 'Create user'", /is one of 'create', 'update', 'delete', 'disable', 'stagedDelete', 'other'/, 11)
  refused(t, "id eq 'abc'", /id holds UUIDs.*contains and startswith/, 7)
  refused(t, "cycleId eq '1 OR 1=1'", /cycleId holds UUIDs/, 12)
  refused(t, 'jobId gt null', /null can only be compared with eq or ne/, 10)
  refused(t, "contains(statusInfo/status, 'fail')", /contains works on text and id properties, not on statusInfo\/status/, 10)
  refused(t, "contains(activityDateTime, '2026')", /not on activityDateTime/, 10)
  refused(t, "endswith(jobId, 'x')", /'endswith' is not a supported function; supported: contains, startswith/, 1)
  refused(t, "contains(jobId 'x')", /expected ',', found the string 'x'/, 16)
  refused(t, 'contains(jobId, x)', /takes a quoted string/, 17)
  refused(t, "contains(jobId, 'x') eq true", /expected 'and', 'or' or the end, found 'eq'/, 22)
  refused(t, "contains(nothing, 'x')", /'nothing' cannot be filtered on/, 10)
  refused(t, 'activityDateTime ge yesterday', /expected a date-time with its offset.*found 'yesterday'/, 21)
  refused(t, 'activityDateTime ge 2026-02-30T00:00:00Z', /date-time/, 21)
  refused(t, "activityDateTime ge '2026-13-01'", /date-time/, 21)
  refused(t, 'activityDateTime ge 2026-01-01T10:00:00', /with its offset/, 21)
  refused(t, 'activityDateTime ge 2026-01-01T10:00:00 02:00', /write the offset's \+ as %2B/, 21)
  refused(t, "targetResources/any(t: t/id eq 'x')", /'targetResources\/any' is not a supported function; supported: contains, startswith/, 1)
  refused(t, "jobId in ('a', 'b')", /found 'in'/, 7)
  refused(t, "$filter=jobId eq 'x'", /unexpected '\$'/, 1)
  refused(t, "jobId eq 'x' and not", /expected a condition.*found the end/, 21)
})

t.test('bounded: nesting depth and number of conditions', async t => {
  const nested = (depth: number): string => `${'('.repeat(depth)}jobId eq 'x'${')'.repeat(depth)}`
  t.ok(parseLogFilter(nested(16)), '16 levels')
  refused(t, nested(17), /nest at most 16 deep/, 17)
  refused(t, `${'not '.repeat(17)}jobId eq 'x'`, /nest at most 16 deep/, 65)
  const conditions = (n: number): string => Array.from({ length: n }, (_, i) => `jobId eq '${i}'`).join(' or ')
  t.ok(parseLogFilter(conditions(64)), '64 conditions')
  refused(t, conditions(65), /at most 64 conditions/, conditions(64).length + 5)
})
