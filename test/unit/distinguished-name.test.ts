import t, { type Test } from 'tap'
import {
  DistinguishedNameError, distinguishedNameKey, domainDistinguishedName, escapeAttributeValue, formatDistinguishedName,
  isWithin, parentOf, parseDistinguishedName, userDistinguishedName, type Rdn
} from '../../src/directory/ad/distinguished-name.js'

const SPECIALS = [',', '+', '"', '\\', '<', '>', ';', '=']

/** The value after a round trip through the canonical string, and that string. */
function roundTrip (value: string): { written: string, read: string } {
  const written = formatDistinguishedName([{ type: 'CN', value }, { type: 'DC', value: 'contoso' }])
  const rdns = parseDistinguishedName(written)
  return { written, read: rdns[0].value }
}

function assertError (t: Test, dn: string, position: number, message: RegExp): void {
  try {
    parseDistinguishedName(dn)
    t.fail(`${JSON.stringify(dn)} parsed`)
  } catch (err) {
    t.ok(err instanceof DistinguishedNameError, `${JSON.stringify(dn)}: a DistinguishedNameError`)
    t.equal((err as DistinguishedNameError).position, position, `${JSON.stringify(dn)}: at character ${position}`)
    t.match((err as Error).message, message, `${JSON.stringify(dn)}: says why`)
  }
}

t.test('every special character, alone and inside a value, is escaped and read back', async t => {
  for (const special of SPECIALS) {
    t.equal(escapeAttributeValue(special), `\\${special}`, `${special} alone`)
    t.equal(escapeAttributeValue(`a${special}b`), `a\\${special}b`, `${special} inside`)
    for (const value of [special, `a${special}b`, `${special}${special}`, `${special}x`, `x${special}`]) {
      t.equal(roundTrip(value).read, value, `round trip of ${JSON.stringify(value)}`)
    }
  }
  const all = SPECIALS.join('')
  t.equal(escapeAttributeValue(all), SPECIALS.map(special => `\\${special}`).join(''))
  t.equal(roundTrip(all).read, all, 'all specials together')
  t.equal(roundTrip(`Smith, John "JJ" <jj@contoso.com>; a+b=c \\ d`).read, `Smith, John "JJ" <jj@contoso.com>; a+b=c \\ d`)
})

t.test('leading # and space, trailing space, NUL and control characters', async t => {
  const cases: Array<[string, string]> = [
    ['#1', '\\#1'],
    ['a#b', 'a#b'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    [' ', '\\ '],
    ['  ', '\\ \\ '],
    ['   ', '\\  \\ '],
    [' both ', '\\ both\\ '],
    ['in side', 'in side'],
    ['# ', '\\#\\ '],
    ['a\0b', 'a\\00b'],
    ['\0', '\\00'],
    ['tab\there', 'tab\\09here'],
    ['line\nbreak', 'line\\0Abreak'],
    ['del\u007f', 'del\\7F']
  ]
  for (const [value, escaped] of cases) {
    t.equal(escapeAttributeValue(value), escaped, `escapes ${JSON.stringify(value)}`)
    t.equal(roundTrip(value).read, value, `round trip of ${JSON.stringify(value)}`)
  }
})

t.test('non-ASCII stays as UTF-8 characters', async t => {
  for (const value of ['Sméth', 'Åsa Lindström', '漢字', '😀 emoji', 'Ω+é', 'ß,ü']) {
    const { written, read } = roundTrip(value)
    t.equal(read, value, `round trip of ${value}`)
    t.notMatch(written, /\\[0-9A-F]{2}/, `${value}: written without hex escapes`)
  }
})

t.test('hex escapes from other writers, decoded as UTF-8', async t => {
  t.same(parseDistinguishedName('CN=Sm\\C3\\A9th,DC=contoso'), [{ type: 'CN', value: 'Sméth' }, { type: 'DC', value: 'contoso' }])
  t.equal(parseDistinguishedName('CN=\\E6\\BC\\A2\\E5\\AD\\97')[0].value, '漢字')
  t.equal(parseDistinguishedName('CN=\\F0\\9F\\98\\80')[0].value, '😀')
  t.equal(parseDistinguishedName('CN=a\\2Cb\\2bc')[0].value, 'a,b+c', 'escaped specials in hex, either case')
  t.equal(parseDistinguishedName('CN=\\20lead')[0].value, ' lead', 'a hex space at the start is kept')
  t.equal(parseDistinguishedName('CN=trail\\20')[0].value, 'trail ', 'a hex space at the end is kept')
  t.equal(parseDistinguishedName('CN=\\00')[0].value, '\0')
  t.equal(parseDistinguishedName('CN=\\EF\\BB\\BFx')[0].value, '\uFEFFx', 'a byte order mark is a character like any other')
  t.equal(parseDistinguishedName('CN=\\41\\,')[0].value, 'A,', 'a hex run ends at an escaped special')
  t.equal(formatDistinguishedName(parseDistinguishedName('CN=Sm\\C3\\A9th,OU=Users,DC=contoso,DC=com')), 'CN=Sméth,OU=Users,DC=contoso,DC=com', 'rewritten canonically')
  t.equal(parseDistinguishedName('CN=a=b')[0].value, 'a=b', 'an unescaped = inside a value is read (RFC 4514 allows it)')
  t.equal(formatDistinguishedName(parseDistinguishedName('CN=a=b')), 'CN=a\\=b')
})

t.test('spaces around = and , are tolerated; types are case-insensitive', async t => {
  const expected: Rdn[] = [{ type: 'CN', value: 'John Smith' }, { type: 'OU', value: 'Users' }, { type: 'DC', value: 'contoso' }, { type: 'DC', value: 'com' }]
  for (const dn of ['CN=John Smith,OU=Users,DC=contoso,DC=com', ' cn = John Smith , ou=Users,  Dc = contoso ,dC=com ', 'Cn=John Smith,oU=Users,dc=contoso,DC=com']) {
    t.same(parseDistinguishedName(dn), expected, JSON.stringify(dn))
    t.equal(formatDistinguishedName(parseDistinguishedName(dn)), 'CN=John Smith,OU=Users,DC=contoso,DC=com')
  }
  t.same(parseDistinguishedName('o=Acme,l=Paris,st=IDF,c=FR').map(rdn => rdn.type), ['O', 'L', 'ST', 'C'])
  t.same(parseDistinguishedName('uid=jsmith,2.5.4.3=x'), [{ type: 'uid', value: 'jsmith' }, { type: '2.5.4.3', value: 'x' }], 'other types as written, numeric OIDs')
  t.same(parseDistinguishedName(''), [])
  t.equal(formatDistinguishedName([]), '')
})

t.test('errors name the problem and its 1-based position', async t => {
  assertError(t, 'CN=a+UID=b,DC=x', 5, /multi-valued.*Active Directory does not use them/)
  assertError(t, 'CN=#04,DC=x', 4, /BER-encoded/)
  assertError(t, 'CN=  #04', 6, /BER-encoded/)
  assertError(t, 'CN=a\\x', 5, /'\\x' is not an escape/)
  assertError(t, 'CN=a\\4', 5, /is not an escape/)
  assertError(t, 'CN=a\\', 5, /backslash at the end/)
  assertError(t, 'CN=\\C3', 4, /not valid UTF-8/)
  assertError(t, 'CN=x\\C3\\28', 5, /not valid UTF-8/)
  assertError(t, 'CN=,DC=x', 4, /CN has an empty value/)
  assertError(t, 'CN=   ,DC=x', 7, /CN has an empty value/)
  assertError(t, 'CN=a,DC=', 9, /DC has an empty value/)
  assertError(t, 'CN', 3, /expected '=' after the attribute type CN/)
  assertError(t, 'CN=a,Users', 11, /expected '=' after the attribute type Users/)
  assertError(t, 'C N=a', 3, /expected '='/)
  assertError(t, 'CN=a,,DC=x', 6, /empty RDN/)
  assertError(t, 'CN=a,', 6, /empty RDN/)
  assertError(t, '=a', 1, /expected an attribute type, found '='/)
  assertError(t, '1CN=a', 1, /'1CN' is not an attribute type/)
  assertError(t, 'CN=a"b', 5, /'"' must be escaped/)
  assertError(t, 'CN=a;b', 5, /';' must be escaped/)
  assertError(t, 'CN=<a>', 4, /'<' must be escaped/)
  assertError(t, 'CN=a\0b', 5, /NUL character must be escaped as \\00/)
  assertError(t, 'CN=\uD800', 4, /lone UTF-16 surrogate/)
  assertError(t, '   ', 1, /only spaces/)
  assertError(t, 'CN=😀😀,\\', 7, /expected an attribute type, found '\\'/)
})

t.test('formatting refuses what cannot be written', async t => {
  t.throws(() => formatDistinguishedName([{ type: 'CN', value: '' }]), DistinguishedNameError)
  t.throws(() => formatDistinguishedName([{ type: 'CN', value: 'a' }, { type: 'bad type', value: 'b' }]), { message: /'bad type' is not an attribute type/, position: 6 })
})

t.test('keys, domains, users, parents and containment', async t => {
  t.equal(distinguishedNameKey('cn=Smith\\, John , OU=Users,DC=Contoso,DC=COM'), 'cn=smith\\, john,ou=users,dc=contoso,dc=com')
  t.equal(distinguishedNameKey([{ type: 'ou', value: 'Sales' }]), 'ou=sales')
  t.equal(distinguishedNameKey('CN=Sm\\C3\\A9th'), distinguishedNameKey('cn=SMÉTH'), 'hex and literal spellings compare equal, case-insensitively')
  t.equal(domainDistinguishedName('contoso.com'), 'DC=contoso,DC=com')
  t.equal(domainDistinguishedName('Corp.Contoso.COM'), 'DC=corp,DC=contoso,DC=com')
  t.throws(() => domainDistinguishedName('contoso..com'), DistinguishedNameError)
  t.equal(userDistinguishedName('Smith, John', 'OU=Users,DC=contoso,DC=com'), 'CN=Smith\\, John,OU=Users,DC=contoso,DC=com')
  t.equal(userDistinguishedName(' #1 ', 'ou = Users , dc=contoso'), 'CN=\\ #1\\ ,OU=Users,DC=contoso')
  t.equal(userDistinguishedName('root', ''), 'CN=root')
  t.equal(parentOf('CN=a\\,b,OU=Users,DC=contoso'), 'OU=Users,DC=contoso')
  t.equal(parentOf('DC=com'), '')
  t.ok(isWithin('OU=Sales,OU=Users,DC=Contoso,DC=com', 'dc=contoso,dc=com'))
  t.ok(isWithin('DC=contoso,DC=com', 'DC=contoso,DC=com'), 'a DN is within itself')
  t.notOk(isWithin('DC=com', 'DC=contoso,DC=com'))
  t.notOk(isWithin('OU=x,DC=fabrikam,DC=com', 'DC=contoso,DC=com'))
  t.notOk(isWithin('OU=x,DC=notcontoso,DC=com', 'DC=contoso,DC=com'), 'compares whole RDNs, not text suffixes')
})

// Seeded, so a failure can be replayed.
function generator (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = [...SPECIALS, ' ', ' ', '#', '\0', '\t', '\u007f', 'a', 'Z', '0', '.', '-', 'é', 'ß', '漢', '😀', '\\0', 'C3']

t.test('property: parse(format(x)) = x for random values and DNs', async t => {
  const random = generator(20260514)
  const randomValue = (): string => {
    const length = 1 + Math.floor(random() * 12)
    return Array.from({ length }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('')
  }
  let checked = 0
  for (let i = 0; i < 3000; i++) {
    const rdns: Rdn[] = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, index) => ({ type: ['CN', 'OU', 'DC', 'uid'][index % 4], value: randomValue() }))
    const written = formatDistinguishedName(rdns)
    const read = parseDistinguishedName(written)
    if (JSON.stringify(read) !== JSON.stringify(rdns)) {
      t.fail(`round trip of ${JSON.stringify(rdns)} via ${JSON.stringify(written)} gave ${JSON.stringify(read)}`)
      return
    }
    if (formatDistinguishedName(read) !== written) {
      t.fail(`formatting is not stable for ${JSON.stringify(written)}`)
      return
    }
    checked++
  }
  t.equal(checked, 3000, 'every random DN round-trips and formats stably')
})

t.test('property: any string either parses or fails with a DistinguishedNameError at a position inside it', async t => {
  const random = generator(77)
  const pieces = ['CN', 'ou', '=', ',', '+', '\\', '#', ' ', '"', 'C3', 'A9', '4', 'x', 'é', '😀', '\0', '\uD800', ';']
  let parsed = 0
  let refused = 0
  for (let i = 0; i < 5000; i++) {
    const dn = Array.from({ length: Math.floor(random() * 14) }, () => pieces[Math.floor(random() * pieces.length)]).join('')
    try {
      const rdns = parseDistinguishedName(dn)
      t.same(parseDistinguishedName(formatDistinguishedName(rdns)), rdns, `${JSON.stringify(dn)} reads back after formatting`)
      parsed++
    } catch (err) {
      if (!(err instanceof DistinguishedNameError) || err.position < 1 || err.position > Array.from(dn).length + 1) {
        t.fail(`${JSON.stringify(dn)} threw ${String(err)} at ${String((err as DistinguishedNameError).position)}`)
        return
      }
      refused++
    }
  }
  t.ok(parsed > 50 && refused > 50, `both outcomes occur (${parsed} parsed, ${refused} refused)`)
})
