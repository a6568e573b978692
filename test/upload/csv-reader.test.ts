import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { CsvFileError, detectDelimiter, openCsv, type CsvRow } from '../../src/upload/csv-reader.js'
import { tempDir } from './helpers.js'

async function read (t: Test, content: string | Buffer, delimiter?: string): Promise<{ header: string[], delimiter: string, rows: CsvRow[] }> {
  const file = path.join(await tempDir(t), 'people.csv')
  writeFileSync(file, content)
  const csv = await openCsv(file, { delimiter })
  const rows: CsvRow[] = []
  for await (const row of csv.rows) rows.push(row)
  return { header: csv.header, delimiter: csv.delimiter, rows }
}

async function failure (t: Test, content: string | Buffer): Promise<CsvFileError> {
  return await read(t, content).then(() => { throw new Error('read without an error') }, (err: unknown) => err as CsvFileError)
}

t.test('the delimiter is the one the header line uses most, outside quotes', async t => {
  t.equal(detectDelimiter('WorkerID;Name;"City, Country"'), ';')
  t.equal(detectDelimiter('"a;b",c,d'), ',')
  t.equal(detectDelimiter('a\tb\tc'), '\t')
  t.equal(detectDelimiter('single'), ',')
})

t.test('quoted fields with commas, quotes and line breaks; BOM; CRLF; rows numbered as lines of the file', async t => {
  const csv = '\uFEFFWorkerID;Name;Note\r\n1;"Ünal, Zoë";plain\r\n2;"Ångström ""Å"" Ltd";"two\r\nlines"\r\n\r\n;;\r\n3;Øyvind;last'
  const { header, delimiter, rows } = await read(t, csv)
  t.same(header, ['WorkerID', 'Name', 'Note'])
  t.equal(delimiter, ';')
  t.same(rows, [
    { row: 2, fields: ['1', 'Ünal, Zoë', 'plain'] },
    { row: 3, fields: ['2', 'Ångström "Å" Ltd', 'two\r\nlines'] },
    { row: 7, fields: ['3', 'Øyvind', 'last'] }
  ], 'a blank line and a line of bare delimiters are skipped, yet counted')
})

t.test('multi-byte characters split across read chunks survive', async t => {
  const names = Array.from({ length: 20_000 }, (_, i) => `${i},Zoë Ångström Ünal Œuvre ${i}`)
  const { rows } = await read(t, `id,name\n${names.join('\n')}\n`)
  t.equal(rows.length, 20_000)
  t.ok(rows.every((row, i) => row.fields[1] === `Zoë Ångström Ünal Œuvre ${i}` && row.row === i + 2))
})

t.test('--delimiter overrides detection and accepts names', async t => {
  t.equal((await read(t, 'a;b|c\n1;2|3\n', '|')).rows[0]!.fields.length, 2)
  t.same((await read(t, 'a\tb\n1\t2\n', 'tab')).rows[0]!.fields, ['1', '2'])
  await t.rejects(read(t, 'a,b\n', ';;'), /--delimiter must be one character/)
})

t.test('malformed lines stop the reading with the row they start on', async t => {
  t.match((await failure(t, 'a,b,c\n1,2,3\n4,x"y,6\n7,8,9\n')).message, /^row 3: a quote inside an unquoted field \(column "b"\)/)
  t.match((await failure(t, 'a,b\r\n1,"two\r\nlines"\r\n5,"bad"x\r\n')).message, /^row 4: text after the closing quote of a quoted field \(column "b"\)/)
  t.match((await failure(t, 'a,b\n1,2\n3,"never closed\n4,5\n')).message, /^row 3: a quoted field that starts here is not closed/)
  t.equal((await failure(t, 'a,b\n1,2\n3,"never closed\n4,5\n')).row, 3)
})

t.test('files that are not CSV text are refused clearly', async t => {
  t.match((await failure(t, '')).message, /is empty: the first line must be the header/)
  t.match((await failure(t, Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le'))).message, /is UTF-16 text; save it as UTF-8/)
  t.match((await failure(t, 'a,b,A\n1,2,3\n')).message, /row 1: the header names column "A" twice/)
  t.match((await failure(t, 'a,,c\n1,2,3\n')).message, /row 1: column 2 of the header has no name/)
  await t.rejects(openCsv('/nonexistent/people.csv'), /\/nonexistent\/people\.csv: no such file/)
})

t.test('blank lines before the header are skipped; a broken header is reported as row 1', async t => {
  t.same((await read(t, '\n\na;b\n1;2\n')).rows, [{ row: 4, fields: ['1', '2'] }])
  t.match((await failure(t, 'a,"b\n')).message, /^row 1: a quoted field that starts here is not closed/)
})
