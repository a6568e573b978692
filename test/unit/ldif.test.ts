import t from 'tap'
import { foldLine, formatLdifEntry, isSafeString, ldifDocument, LDIF_LINE_LENGTH, type LdifEntry } from '../../src/directory/ad/ldif.js'
import { objectGuidBytes } from '../../src/directory/ad/object-guid.js'

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
const lines = (entry: LdifEntry): string[] => formatLdifEntry(entry).split('\n').slice(0, -1)
const attribute = (name: string, value: string | Buffer): string[] => lines({ dn: 'DC=x', attributes: [[name, value]] }).slice(1)

t.test('plain SAFE-STRINGs are written as they are', async t => {
  for (const value of ['Barbara Jensen', 'a:b<c', '#hash', '=eq', ';semi', '\x01ctrl', '~tilde\x7f', 'CN=Smith\\, John,OU=Users,DC=contoso,DC=com']) {
    t.ok(isSafeString(value), JSON.stringify(value))
    t.same(attribute('description', value), [`description: ${value}`], JSON.stringify(value))
  }
  t.same(attribute('description', ''), ['description:'], 'an empty value has nothing after the colon')
})

t.test('a value that does not start with a SAFE-INIT-CHAR is base64', async t => {
  for (const value of [' leading space', ':colon', '<less-than', '\nLF first', '\rCR first']) {
    t.notOk(isSafeString(value), JSON.stringify(value))
    t.same(attribute('description', value), [`description:: ${b64(value)}`], JSON.stringify(value))
  }
})

t.test('a value holding a character outside SAFE-CHAR is base64', async t => {
  for (const value of ['line\nbreak', 'carriage\rreturn', 'nul\x00inside', 'Zoë Ünal', '日本', 'emoji 🙂', '\x80']) {
    t.notOk(isSafeString(value), JSON.stringify(value))
    t.same(attribute('cn', value), [`cn:: ${b64(value)}`], JSON.stringify(value))
  }
  t.equal(Buffer.from(attribute('cn', 'Zoë Ünal')[0].slice(5), 'base64').toString('utf8'), 'Zoë Ünal', 'text is UTF-8 before base64')
})

t.test('a value ending in a space is base64 (RFC 2849 note)', async t => {
  t.notOk(isSafeString('trailing '))
  t.same(attribute('cn', 'trailing '), [`cn:: ${b64('trailing ')}`])
  t.ok(isSafeString('inner space'))
})

t.test('a Buffer is always base64, even when its bytes would be safe', async t => {
  t.same(attribute('objectGUID', Buffer.from('plain')), [`objectGUID:: ${b64('plain')}`])
  const binary = Buffer.from([0x00, 0xff, 0x0a, 0x3a])
  t.same(attribute('objectGUID', binary), ['objectGUID:: AP8KOg=='])
  t.same(attribute('jpegPhoto', Buffer.alloc(0)), ['jpegPhoto:: '])
})

t.test('the dn follows the same rules: dn: or dn::', async t => {
  t.equal(lines({ dn: 'CN=Smith\\, John,DC=contoso,DC=com', attributes: [] })[0], 'dn: CN=Smith\\, John,DC=contoso,DC=com')
  for (const dn of ['CN=Zoë Ünal,DC=contoso,DC=com', 'CN=trailing\\ ,DC=x ', ' CN=leading', ':x', '<x']) {
    t.same(lines({ dn, attributes: [] }), [`dn:: ${b64(dn)}`], JSON.stringify(dn))
  }
})

t.test('multi-valued attributes are one line per value; an empty array writes none', async t => {
  t.same(lines({ dn: 'DC=x', attributes: [['objectClass', ['top', 'person']], ['mail', []], ['cn', ['a', Buffer.from([1])]]] }),
    ['dn: DC=x', 'objectClass: top', 'objectClass: person', 'cn: a', 'cn:: AQ=='])
})

t.test('attribute names are checked, so a bad one cannot corrupt the file', async t => {
  for (const name of ['sn', 'extensionAttribute15', 'cn;lang-de', '2.5.4.3']) t.doesNotThrow(() => formatLdifEntry({ dn: 'DC=x', attributes: [[name, 'v']] }), name)
  for (const name of ['', 'bad name', 'a:b', '1abc', 'x\ny', 'cn;']) t.throws(() => formatLdifEntry({ dn: 'DC=x', attributes: [[name, 'v']] }), TypeError, JSON.stringify(name))
})

t.test('folding: lines of at most 76 characters, continuations start with one space', async t => {
  t.equal(LDIF_LINE_LENGTH, 76)
  const exact = `cn: ${'a'.repeat(72)}`
  t.equal(foldLine(exact), `${exact}\n`, 'a line of exactly 76 characters is not folded')
  const over = `cn: ${'a'.repeat(73)}`
  t.equal(foldLine(over), `${over.slice(0, 76)}\n a\n`, 'one character over: a continuation of one')

  const value = Array.from({ length: 300 }, (_, i) => String.fromCharCode(0x41 + i % 26)).join('')
  const written = lines({ dn: 'DC=x', attributes: [['description', value]] }).slice(1)
  t.ok(written.length > 3)
  t.ok(written.every(line => line.length <= 76), 'no line over 76')
  t.equal(written[0].length, 76, 'the first line is filled')
  t.ok(written.slice(1, -1).every(line => line.length === 76 && line.startsWith(' ') && !line.startsWith('  ')), 'continuations: one space then 75 characters')
  t.equal(written[0] + written.slice(1).map(line => line.slice(1)).join(''), `description: ${value}`, 'unfolding gives the line back')

  const binary = Buffer.from(Array.from({ length: 200 }, (_, i) => i))
  const base64Lines = lines({ dn: 'DC=x', attributes: [['jpegPhoto', binary]] }).slice(1)
  t.ok(base64Lines.every(line => line.length <= 76))
  const unfolded = base64Lines[0] + base64Lines.slice(1).map(line => line.slice(1)).join('')
  t.same(Buffer.from(unfolded.slice('jpegPhoto:: '.length), 'base64'), binary, 'folded base64 decodes to the bytes')

  const longDn = `CN=${'x'.repeat(100)},OU=${'y'.repeat(100)},DC=contoso,DC=com`
  const dnLines = lines({ dn: longDn, attributes: [] })
  t.ok(dnLines.length > 1 && dnLines.every(line => line.length <= 76), 'the dn line folds too')
  t.equal(dnLines[0] + dnLines.slice(1).map(line => line.slice(1)).join(''), `dn: ${longDn}`)
})

t.test('a document: the version line, then entries each after a blank line', async t => {
  async function * entries (): AsyncGenerator<LdifEntry> {
    yield { dn: 'DC=contoso,DC=com', attributes: [['objectClass', ['top', 'domain']], ['dc', 'contoso']] }
    yield { dn: 'OU=Users,DC=contoso,DC=com', attributes: [['objectClass', ['top', 'organizationalUnit']], ['ou', 'Users']] }
  }
  let text = ''
  for await (const chunk of ldifDocument(entries())) text += chunk
  t.equal(text, [
    'version: 1',
    '',
    'dn: DC=contoso,DC=com', 'objectClass: top', 'objectClass: domain', 'dc: contoso',
    '',
    'dn: OU=Users,DC=contoso,DC=com', 'objectClass: top', 'objectClass: organizationalUnit', 'ou: Users',
    ''
  ].join('\n'))
  let empty = ''
  for await (const chunk of ldifDocument([])) empty += chunk
  t.equal(empty, 'version: 1\n', 'no entries: only the version line')
})

t.test('a document is handed on in chunks of whole entries, not one per entry', async t => {
  const entries = Array.from({ length: 100 }, (_, i): LdifEntry => ({ dn: `CN=User ${i},DC=x`, attributes: [['sn', 'User']] }))
  const chunks: string[] = []
  for await (const chunk of ldifDocument(entries, 200)) chunks.push(chunk)
  t.ok(chunks.length > 10 && chunks.length < 100, `${chunks.length} chunks`)
  t.ok(chunks.slice(0, -1).every(chunk => chunk.length >= 200), 'each chunk but the last is at least the chunk length')
  t.ok(chunks.slice(1).every(chunk => chunk.startsWith('\ndn: ')), 'a chunk starts at an entry')
  let unchunked = ''
  for await (const chunk of ldifDocument(entries, 1)) unchunked += chunk
  t.equal(chunks.join(''), unchunked, 'the same text whatever the chunk length')
})

t.test('objectGUID bytes: the first three fields little-endian, the rest in order', async t => {
  t.equal(objectGuidBytes('00112233-4455-6677-8899-aabbccddeeff').toString('hex'), '33221100554477668899aabbccddeeff')
  t.equal(objectGuidBytes('00112233-4455-6677-8899-AABBCCDDEEFF').toString('hex'), '33221100554477668899aabbccddeeff')
  t.throws(() => objectGuidBytes('not-a-guid'), TypeError)
})
