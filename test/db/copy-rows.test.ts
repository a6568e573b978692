import t from 'tap'
import { copyJson, copyPlain, copyRows, copyText, copyTextArray } from '../../src/db/copy-rows.js'
import { createPool } from '../../src/db/pool.js'
import { createTestDatabase } from '../helpers/environment.js'

// Rows written with COPY carry client data (names, reasons quoting what was sent): every
// value must arrive exactly as it was, whatever characters it holds.
const db = createPool(await createTestDatabase(t), 2)
t.teardown(() => db.end())

const HOSTILE = [
  'plain',
  'tab\there',
  'line\nbreak',
  'carriage\rreturn',
  'back\\slash',
  '\\N',
  'ends with a backslash\\',
  '\\t is not a tab',
  'quote " and \' apostrophe',
  '{"braces", in, text}',
  'NULL',
  '',
  'Zoë Ørsted-Łukasiewicz 山田 🙂',
  '\u2028 line separator, \u00a0 no-break space'
]

t.test('text, JSON and text arrays come back from PostgreSQL exactly as sent', async t => {
  const client = await db.connect()
  t.teardown(() => client.release())
  await client.query('CREATE TEMP TABLE copied (n int, body text, document text, list text[], missing text)')
  const documents = HOSTILE.map(text => JSON.stringify([text, { nested: text }]))
  const lists = HOSTILE.map(text => [text, `${text}, again`, 'NULL', ''])
  const rows = HOSTILE.map((text, n) => `${copyPlain(n)}\t${copyText(text)}\t${copyJson(documents[n]!)}\t${copyTextArray(lists[n]!)}\t${copyText(null)}\n`).join('')
  await copyRows(client, 'copied', ['n', 'body', 'document', 'list', 'missing'], rows)
  const { rows: back } = await client.query('SELECT n, body, document, list, missing FROM copied ORDER BY n')
  t.strictSame(back.map(row => row.body), HOSTILE)
  t.strictSame(back.map(row => row.document), documents, 'JSON text is stored as made')
  t.strictSame(back.map(row => JSON.parse(row.document)), HOSTILE.map(text => [text, { nested: text }]))
  t.strictSame(back.map(row => row.list), lists, 'array elements keep commas, quotes, backslashes and the word NULL')
  t.ok(back.every(row => row.missing === null), '\\N is null, an empty string is not')
})

t.test('a failed COPY fails its transaction and writes nothing', async t => {
  const client = await db.connect()
  t.teardown(() => client.release())
  await client.query('CREATE TEMP TABLE strict_rows (n int NOT NULL)')
  await client.query('BEGIN')
  await t.rejects(copyRows(client, 'strict_rows', ['n'], '1\nnot a number\n'), /invalid input syntax for type integer/)
  await client.query('ROLLBACK')
  const { rows } = await client.query('SELECT count(*)::int AS n FROM strict_rows')
  t.equal(rows[0].n, 0)
})

t.test('nothing to write sends nothing', async t => {
  const client = await db.connect()
  t.teardown(() => client.release())
  await copyRows(client, 'no_such_table', ['n'], '')
  t.pass('no statement was sent for an empty set of rows')
})
