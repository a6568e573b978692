import t from 'tap'
import { copyJson, copyPlain, copyText, copyTextArray, joinRows, startCopyRows } from '../../src/db/copy-rows.js'
import type { DbClient } from '../../src/db/pool.js'
import { createPool } from '../../src/db/pool.js'
import { createTestDatabase } from '../helpers/environment.js'

// Rows written with COPY carry client data (names, reasons quoting what was sent): every
// value must arrive exactly as it was, whatever characters it holds.
const db = createPool(await createTestDatabase(t), 2)
t.teardown(() => db.end())

const copyRows = async (client: DbClient, table: string, columns: string[], text: string | Buffer): Promise<void> => {
  await startCopyRows(client, table, columns, typeof text === 'string' ? Buffer.from(text) : text).written
}

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
  // As the worker writes them: each row encoded on its own, joined with the fields every
  // row shares (here the last column) and the newline.
  const rows = HOSTILE.map((text, n) => Buffer.from(`${copyPlain(n)}\t${copyText(text)}\t${copyJson(documents[n]!)}\t${copyTextArray(lists[n]!)}`, 'utf8'))
  await copyRows(client, 'copied', ['n', 'body', 'document', 'list', 'missing'], joinRows(rows, Buffer.from(`\t${copyText(null)}\n`)))
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

t.test('a large COPY is handed over before it is written, so the caller can work meanwhile', async t => {
  const client = await db.connect()
  t.teardown(() => client.release())
  await client.query('CREATE TEMP TABLE bulk_rows (n int, body text)')
  const rows = Array.from({ length: 20_000 }, (_, n) => `${n}\t${'x'.repeat(100)}\n`).join('')
  const settled: string[] = []
  const copy = startCopyRows(client, 'bulk_rows', ['n', 'body'], Buffer.from(rows))
  await Promise.all([copy.sent.then(() => settled.push('sent')), copy.written.then(() => settled.push('written'))])
  t.strictSame(settled, ['sent', 'written'])
  const { rows: [count] } = await client.query('SELECT count(*)::int AS n FROM bulk_rows')
  t.equal(count.n, 20_000)
})

t.test('a COPY that fails still settles sent; the error comes from written, never as an unhandled rejection', async t => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
  const client = await db.connect()
  t.teardown(() => client.release())
  await client.query('CREATE TEMP TABLE typed_rows (n int NOT NULL)')
  for (const [what, table, text] of [['a table that does not exist', 'no_such_table', '1\n'], ['a row that does not fit', 'typed_rows', '1\nnot a number\n']]) {
    await client.query('BEGIN')
    const copy = startCopyRows(client, table!, ['n'], Buffer.from(text!))
    await copy.sent
    // A turn of the event loop with the failure in the air and no one awaiting it yet.
    await new Promise(resolve => setTimeout(resolve, 50))
    await t.rejects(copy.written, /does not exist|invalid input syntax/, what)
    await client.query('ROLLBACK')
  }
  t.strictSame(unhandled, [])
})
