import t, { type Test } from 'tap'
import { compileExpression, type EvaluationInput } from '../../src/expressions/evaluate.js'
import { parseExpression } from '../../src/expressions/parser.js'
import { ExpressionError, MAX_EXPRESSION_LENGTH } from '../../src/expressions/syntax.js'
import type { Value } from '../../src/expressions/values.js'

// The attribute-mapping expression language: parsing (with positions in every error), and
// each function on the examples Entra's documentation gives, nulls included.

const NOW = new Date(Date.UTC(2026, 10, 26, 15, 4, 5))

function run (expression: string, attributes: Record<string, Value> = {}, extra: Partial<EvaluationInput> = {}): Value {
  const result = compileExpression(expression).evaluate({ read: name => attributes[name] ?? null, now: () => NOW, ...extra })
  if (!result.flow) return '<no flow>'
  return result.value
}

function refused (t: Test, expression: string, reason: RegExp, position?: number): void {
  try {
    compileExpression(expression).evaluate({ read: () => null, now: () => NOW })
    t.fail(`${expression} should be refused`)
  } catch (err) {
    t.type(err, ExpressionError, expression)
    t.match((err as ExpressionError).reason, reason, expression)
    if (position !== undefined) t.equal((err as ExpressionError).position, position, `${expression}: at ${position}`)
  }
}

t.test('parsing: functions, attributes, strings with escapes, numbers, hex, empty arguments, comparisons', async t => {
  t.match(parseExpression('Join(" ", [givenName], [surname])'), {
    type: 'Function', name: 'Join', args: [{ type: 'Constant', value: ' ' }, { type: 'Attribute', name: 'givenName' }, { type: 'Attribute', name: 'surname' }]
  })
  t.match(parseExpression('[emails[type eq "work"].value]'), { type: 'Attribute', name: 'emails[type eq "work"].value' })
  t.match(parseExpression('[urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department]'), { type: 'Attribute', name: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department' })
  t.match(parseExpression('"Company name: \\"Contoso\\" \\\\ ok"'), { type: 'Constant', value: 'Company name: "Contoso" \\ ok' })
  t.match(parseExpression('"\\d+"'), { type: 'Constant', value: '\\d+' }, 'other backslashes stay, for regular expressions')
  t.match(parseExpression('BitAnd(&HF, &HF7)'), { args: [{ type: 'Number', value: 15 }, { type: 'Number', value: 247 }] })
  const replace = parseExpression('Replace([x], , "a", , "b", , )') as any
  t.equal(replace.args.length, 7)
  t.strictSame(replace.args.map((a: unknown) => a === null), [false, true, false, true, false, true, true], 'empty positional arguments')
  t.match(parseExpression('IIF([country]="USA",[country],[department])'), { args: [{ type: 'Comparison', operator: '=' }] })
  t.match(parseExpression('InStr([a], "b", , vbTextCompare)'), { args: [{}, {}, null, { type: 'Identifier', name: 'vbTextCompare' }] })
  t.match(parseExpression('Guid()'), { type: 'Function', name: 'Guid', args: [] })
})

t.test('parsing errors say where and what', async t => {
  refused(t, 'Join(" ", [a]', /expected ',' or '\)'/, 14)
  refused(t, 'Join(" ", [a]))', /unexpected '\)' after the end/, 15)
  refused(t, '"unclosed', /string is not closed/, 1)
  refused(t, 'Append([a, "b")', /not closed/, 8)
  refused(t, 'Append([], "b")', /needs a name/, 8)
  refused(t, 'Append("a" "b")', /expected ',' or '\)'/, 12)
  refused(t, '', /empty/)
  refused(t, 'Append("a", ;)', /unexpected ';'/, 13)
  refused(t, `"${'x'.repeat(MAX_EXPRESSION_LENGTH)}"`, /at most 10000 characters/)
  refused(t, 'append([a], "b")', /case-sensitive, did you mean 'Append'/, 1)
  refused(t, 'Frobnicate([a])', /unknown function 'Frobnicate'/, 1)
  refused(t, 'Append([a])', /Append takes 2 arguments, not 1/, 1)
  refused(t, 'Mid([a], 1, 2, 3)', /Mid takes 3 arguments, not 4/)
  refused(t, 'Join(",", SelectUniqueValue("a", "b"))', /must be the whole expression/)
})

t.test('text functions', async t => {
  t.equal(run('Append([a], "@contoso.com")', { a: 'jdoe' }), 'jdoe@contoso.com')
  t.equal(run('Join(", ", [a], [b], [c])', { a: 'x', b: ['y', 'z'] }), 'x, y, z', 'multi-valued sources are expanded, absent ones skipped')
  t.equal(run('Left([a], 3)', { a: 'Contoso' }), 'Con')
  t.equal(run('Left([a], 0)', { a: 'Contoso' }), '')
  t.equal(run('Left([a], -1)', { a: 'Contoso' }), 'Contoso')
  t.equal(run('Left([missing], 3)'), '', 'null gives an empty string')
  t.equal(run('Mid([a], 2, 3)', { a: 'Contoso' }), 'ont')
  t.equal(run('Mid([missing], 2, 3)'), null)
  t.equal(run('StripSpaces([a])', { a: ' a b  c ' }), 'abc')
  t.equal(run('ToLower([a])', { a: 'ÀBC' }), 'àbc')
  t.equal(run('ToUpper([a], "tr-TR")', { a: 'i' }), 'İ', 'a culture changes the mapping')
  refused(t, 'ToUpper("a", "no such culture!")', /not a culture name/)
  t.equal(run('PCase([a])', { a: 'NEIL o\'brien' }), 'Neil O\'brien')
  t.equal(run('PCase([a], "-")', { a: 'mary-JANE smith' }), 'Mary-Jane smith')
  t.equal(run('Word([a], 2, " ,")', { a: 'The quick, brown fox' }), 'quick')
  t.equal(run('Word([a], 9, " ")', { a: 'The quick' }), null)
  t.equal(run('NormalizeDiacritics([a])', { a: 'Zoë Bjørn Straße Æsir Łukasz' }), 'Zoe Bjoern Strasse AEsir Lukasz')
  // Every row of the published table.
  const table: Array<[string, string]> = [
    ['äàâãåáąāăắằẳẵặ', 'aaaaaaaaaaaaaa'], ['ÄÀÂÃÅÁĄĀĂẮẰẲẴẶ', 'AAAAAAAAAAAAAA'], ['æǽ', 'aeae'], ['ÆǼ', 'AEAE'],
    ['çĉċčć', 'ccccc'], ['ÇĈĊČĆ', 'CCCCC'], ['đď', 'dd'], ['ĐĎ', 'DD'], ['ëèéêęěēẻẽẹệ', 'eeeeeeeeeee'], ['ËÈÉÊĘĚĒẺẼẸỆ', 'EEEEEEEEEEE'],
    ['ğĝġģ', 'gggg'], ['ĞĜĠĢ', 'GGGG'], ['ïîìí', 'iiii'], ['İÏÎÌÍ', 'IIIII'], ['ł', 'l'], ['Ł', 'L'], ['ñńňǹ', 'nnnn'], ['ÑŃŇǸ', 'NNNN'],
    ['öòőõôóō', 'ooooooo'], ['ÖÒŐÕÔÓŌ', 'OOOOOOO'], ['øœ', 'oeoe'], ['ØŒ', 'OEOE'], ['ř', 'r'], ['Ř', 'R'], ['ß', 'ss'],
    ['śšş', 'sss'], ['ŚŠŞ', 'SSS'], ['ť', 't'], ['Ť', 'T'], ['üùûúůűū', 'uuuuuuu'], ['ÜÙÛÚŮŰŪ', 'UUUUUUU'], ['ÿýỳ', 'yyy'], ['ÝỲ', 'YY'],
    ['źžż', 'zzz'], ['ŹŽŻ', 'ZZZ']
  ]
  for (const [input, output] of table) t.equal(run('NormalizeDiacritics([a])', { a: input }), output, input)
  t.equal(run('InStr([a], "o")', { a: 'Contoso' }), 2)
  t.equal(run('InStr([a], "O", 3, vbTextCompare)', { a: 'Contoso' }), 5)
  t.equal(run('InStr([a], "O", , vbBinaryCompare)', { a: 'Contoso' }), 0)
  t.equal(run('ConvertToBase64("Hello world!")'), 'SABlAGwAbABvACAAdwBvAHIAbABkACEA')
  t.equal(run('ConvertToUTF8Hex("Hello world!")'), '48656C6C6F20776F726C6421')
  t.equal(run('CStr(BitAnd(&HF, &HF7))'), '7')
})

t.test('null handling, conditions and lookups', async t => {
  t.equal(run('Coalesce([a], [b], "default")', { b: 'second' }), 'second')
  t.equal(run('Coalesce([a], [b], "default")'), 'default')
  t.equal(run('IsNull([a])'), true)
  t.equal(run('IsNullOrEmpty([a])', { a: '' }), true)
  t.equal(run('IsPresent([a])', { a: 'x' }), true)
  t.equal(run('IsString([a])', { a: 'x' }), true)
  t.equal(run('Not(IsPresent([a]))'), true)
  t.equal(run('CBool("1")'), true)
  t.equal(run('CBool([a] = [b])', { a: 'x', b: 'x' }), true)
  t.equal(run('IIF([country]="USA", [country], [department])', { country: 'USA', department: 'Sales' }), 'USA')
  t.equal(run('IIF([country]="USA", [country], [department])', { country: 'FR', department: 'Sales' }), 'Sales')
  t.equal(run('IIF([country]="USA", [country], [department])', { department: 'Sales' }), 'Sales', 'an absent attribute makes the condition false')
  t.equal(run('IIF([n] >= 10, "big", "small")', { n: '9' }), 'small', 'numbers compare as numbers')
  t.equal(run('IIF([n] >= 10, "big", "small")', { n: '10' }), 'big')
  t.equal(run('IIF([a] <> "x", Guid(), "same")', { a: 'x' }), 'same', 'only the branch taken runs')
  t.equal(run('Switch([city], "OU=Other", "Redmond", "OU=Redmond", "London", "OU=London")', { city: 'London' }), 'OU=London')
  t.equal(run('Switch([city], "OU=Other", "Redmond", "OU=Redmond")', { city: 'redmond' }), 'OU=Other', 'keys are case-sensitive')
  t.equal(run('Switch([city], "OU=Other", "Redmond", "OU=Redmond")'), 'OU=Other')
  refused(t, 'Switch([city], "d", "k1")', /key and value pairs/)
  t.equal(run('IgnoreFlowIfNullOrEmpty([a])', { a: '' }), '<no flow>')
  t.equal(run('IgnoreFlowIfNullOrEmpty([a])', { a: 'v' }), 'v')
})

t.test('multi-valued attributes', async t => {
  const phones = ['+1 1', '+1 2', '+1 1']
  t.equal(run('Count([phones])', { phones }), 3)
  t.equal(run('Item([phones], 2)', { phones }), '+1 2')
  refused(t, 'Item([phones], 0)', /starts at 1/)
  t.strictSame(run('RemoveDuplicates([phones])', { phones }), ['+1 1', '+1 2'])
  t.strictSame(run('Split([a], ",")', { a: 'a,b,c' }), ['a', 'b', 'c'])
  t.equal(run('Join("|", Split([a], ","))', { a: 'a,b,c' }), 'a|b|c')
})

t.test('dates: .NET formats in and out, intervals, AD numeric dates', async t => {
  t.equal(run('Now()'), '11/26/2026 3:04:05 PM')
  t.equal(run('CDate([d])', { d: '2026-01-05T08:30:00Z' }), '1/5/2026 8:30:00 AM')
  t.equal(run('CDate([d])', { d: '2026-01-05T08:30:00+02:00' }), '1/5/2026 6:30:00 AM', 'to UTC')
  t.equal(run('FormatDateTime([d], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")', { d: '20260105083000.0Z' }), '2026-01-05')
  t.equal(run('FormatDateTime([d], , "M/d/yyyy h:mm:ss tt", "dd.MM.yy HH:mm")', { d: '1/5/2026 8:30:00 PM' }), '05.01.26 20:30')
  t.equal(run('FormatDateTime([d], , "yyyy-MM-dd", "dddd d MMMM yyyy")', { d: '2026-11-26' }), 'Thursday 26 November 2026')
  refused(t, 'FormatDateTime("not a date", , "yyyy-MM-dd", "yyyy")', /does not match/)
  t.throws(() => run(`FormatDateTime([d], , "${'dM'.repeat(6)}", "yyyy")`, { d: '1'.repeat(40) }), /at most 8 variable-width fields/, 'a format that would backtrack is refused')
  t.throws(() => run(`FormatDateTime([d], , "${'yyyy-'.repeat(20)}", "yyyy")`, { d: '2026' }), /at most 64 characters/)
  t.equal(run('DateAdd("d", 7, [d])', { d: '2026-01-05T00:00:00Z' }), '1/12/2026 12:00:00 AM')
  t.equal(run('DateAdd("m", 1, [d])', { d: '2026-01-31T00:00:00Z' }), '3/3/2026 12:00:00 AM')
  t.equal(run('DateAdd("yyyy", -1, [d])', { d: '2026-01-05T00:00:00Z' }), '1/5/2025 12:00:00 AM')
  t.equal(run('DateDiff("d", [a], [b])', { a: '2026-01-01', b: '2026-01-31' }), 30)
  t.equal(run('DateDiff("m", [a], [b])', { a: '2026-01-31', b: '2026-03-01' }), 2)
  refused(t, 'DateAdd("fortnight", 1, "2026-01-01")', /interval 'fortnight'/)
  t.equal(run('NumFromDate([d])', { d: '2026-01-01T00:00:00Z' }), '134116992000000000')
  t.equal(run('DateFromNum([n])', { n: '134116992000000000' }), '1/1/2026 12:00:00 AM')
  t.equal(run('DateAdd("d", 1, [missing])'), null)
})

t.test('Replace: its modes, .NET named groups, and patterns that could hang a worker refused', async t => {
  t.equal(run('Replace([a], "-", , , "", , )', { a: '555-123-4567' }), '5551234567', 'literal replace')
  t.equal(run('Replace([a], "%user%", , , , , "Hello %user%!")', { a: 'Ada' }), 'Hello Ada!', 'template')
  t.equal(run('Replace([a], , "[^0-9]", , "", , )', { a: '+1 (555) 123' }), '1555123', 'regex replace, every match')
  t.equal(run('Replace([mail], , "(?<name>[^@]+)@(?<domain>.+)", , "${domain}\\\\${name}", , )', { mail: 'ada@contoso.com' }), 'contoso.com\\ada', '.NET ${name} substitution')
  t.equal(run('Replace([a], , "^(?<prefix>\\d{3})-", "prefix", "XXX", , )', { a: '555-123' }), 'XXX-123', 'replace one named group')
  t.equal(run('Replace([missing], , "x", , "y", [fallback], )', { fallback: 'from the other attribute' }), 'from the other attribute')
  refused(t, 'Replace([a], , "(a+)+$", , "", , )', /repeats a group that itself repeats/)
  refused(t, 'Replace([a], , "(x|xy)*z", , "", , )', /repeats a group/)
  refused(t, 'Replace([a], , "(unclosed", , "", , )', /not valid/)
  t.throws(() => run('Replace([a], , "a", , "", , )', { a: 'a'.repeat(2000) }), /at most 1024 characters/, 'long values are not run through a user\'s pattern')
  const hostile = 'a'.repeat(30) + '!'
  const started = Date.now()
  t.equal(run('Replace([a], , "a+b", , "", , )', { a: hostile }), hostile, 'a linear pattern on a hostile value')
  t.ok(Date.now() - started < 1000)
})

t.test('generated values, the directory, and functions that do not apply inbound', async t => {
  t.match(run('Guid()'), /^[0-9a-f-]{36}$/)
  const password = run('RandomString(12, 2, 2, 2, 2, "0Oo1lI")') as string
  t.equal(password.length, 12)
  t.ok((password.match(/[0-9]/g) ?? []).length >= 2 && (password.match(/[A-Z]/g) ?? []).length >= 2 && (password.match(/[a-z]/g) ?? []).length >= 2)
  t.notOk(/[0Oo1lI]/.test(password), 'avoided characters are avoided')
  refused(t, 'RandomString(300)', /1 to 256/)
  t.equal(run('Append([a], Append("@", DefaultDomain()))', { a: 'ada' }, { defaultDomain: 'contoso.com' }), 'ada@contoso.com')
  const taken = new Set(['ada.l', 'a.l'])
  const unique = { isUnique: (candidate: string) => !taken.has(candidate) }
  t.equal(run('SelectUniqueValue(Join(".", [g], [s]), Join(".", Left([g], 1), [s]), Join(".", [g], [s], "2"))', { g: 'ada', s: 'l' }, unique), 'ada.l.2')
  refused(t, 'SelectUniqueValue("ada.l", "a.lovelace")', /needs the target directory/)
  refused(t, 'AppRoleAssignmentsComplex([appRoleAssignments])', /outbound/)
  refused(t, 'SingleAppRoleAssignment([appRoleAssignments])', /outbound/)
  const redacted = compileExpression('Redact([password])').evaluate({ read: () => 'secret', now: () => NOW })
  t.match(redacted, { flow: true, value: 'secret', redacted: true })
})
