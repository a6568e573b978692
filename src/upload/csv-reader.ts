import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline, Transform, type TransformCallback } from 'node:stream'
import { parse, type CsvError as ParserError } from 'csv-parse'

export interface CsvReadOptions {
  /** `,` `;` `|` or a tab (`tab`); read from the header line when not given. */
  delimiter?: string
  /** Sees every byte of the file as it is read (the checkpoint fingerprints the file with it). */
  onBytes?: (chunk: Buffer) => void
}

/** One record: `row` is the line of the file it starts on, the header being row 1. */
export interface CsvRow {
  row: number
  fields: string[]
}

export interface CsvFile {
  header: string[]
  delimiter: string
  /** The records after the header, read as they are pulled: nothing is read ahead of the consumer. */
  rows: AsyncGenerator<CsvRow, void, undefined>
}

/** The file cannot be read as CSV; `row` is where reading stopped. */
export class CsvFileError extends Error {
  constructor (message: string, readonly row?: number) {
    super(row === undefined ? message : `row ${row}: ${message}`)
  }
}

const DELIMITER_NAMES: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' }
const CANDIDATES = [',', ';', '\t', '|']
const PEEK_BYTES = 64 * 1024

export function delimiterFromOption (option: string): string {
  const delimiter = DELIMITER_NAMES[option.toLowerCase()] ?? option
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new CsvFileError(`--delimiter must be one character such as , or ; (or "tab"), not ${JSON.stringify(option)}`)
  }
  return delimiter
}

/** The candidate found most often outside quotes in the header line; `,` when none is. */
export function detectDelimiter (headerLine: string): string {
  const counts = new Map(CANDIDATES.map(candidate => [candidate, 0]))
  let quoted = false
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1)
  }
  let best = ','
  for (const candidate of CANDIDATES) if (counts.get(candidate)! > counts.get(best)!) best = candidate
  return best
}

export async function openCsv (path: string, options: CsvReadOptions = {}): Promise<CsvFile> {
  const start = await peek(path)
  if (start[0] === 0xff && start[1] === 0xfe) throw new CsvFileError(`${path} is UTF-16 text; save it as UTF-8 (in Excel: "CSV UTF-8")`)
  if (start[0] === 0xfe && start[1] === 0xff) throw new CsvFileError(`${path} is UTF-16 text; save it as UTF-8 (in Excel: "CSV UTF-8")`)
  const firstLine = start.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n|\r/).find(line => line.trim() !== '') ?? ''
  const delimiter = options.delimiter !== undefined ? delimiterFromOption(options.delimiter) : detectDelimiter(firstLine)
  const records = readRecords(path, delimiter, options.onBytes)
  let first: IteratorResult<CsvRow>
  try {
    do first = await records.next()
    while (first.done !== true && isBlank(first.value.fields))
  } catch (err) {
    throw isParserError(err) ? new CsvFileError(describeParserError(err, []), (err as ParserError & { row: number }).row) : err
  }
  if (first.done === true) throw new CsvFileError(`${path} is empty: the first line must be the header`)
  const header = checkHeader(first.value.fields)
  return { header, delimiter, rows: dataRows(records, header) }
}

async function peek (path: string): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CsvFileError(code === 'ENOENT' ? `${path}: no such file` : code === 'EISDIR' ? `${path} is a directory` : `${path} cannot be read: ${(err as Error).message}`)
  }
  try {
    const buffer = Buffer.alloc(PEEK_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, PEEK_BYTES, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

function checkHeader (names: string[]): string[] {
  const header = names.map(name => name.trim())
  const seen = new Set<string>()
  header.forEach((name, index) => {
    if (name === '') throw new CsvFileError(`column ${index + 1} of the header has no name`, 1)
    if (seen.has(name.toLowerCase())) throw new CsvFileError(`the header names column "${name}" twice`, 1)
    seen.add(name.toLowerCase())
  })
  return header
}

/** Empty lines, and lines of bare delimiters and spaces (`;;;;`, as spreadsheets leave them). */
function isBlank (fields: string[]): boolean {
  return fields.every(field => field.trim() === '')
}

/** The records after the header; blank lines are skipped. */
async function * dataRows (records: AsyncGenerator<CsvRow>, header: string[]): AsyncGenerator<CsvRow, void, undefined> {
  try {
    for await (const record of records) {
      if (isBlank(record.fields)) continue
      yield record
    }
  } catch (err) {
    if (err instanceof CsvFileError || !isParserError(err)) throw err
    throw new CsvFileError(describeParserError(err, header), (err as ParserError & { row: number }).row)
  }
}

/**
 * Every record with the line it starts on. csv-parse counts lines differently for CRLF
 * files, so lines are counted here: a record spans one line plus the line breaks inside its
 * quoted fields, and skipped empty lines come before it.
 */
async function * readRecords (path: string, delimiter: string, onBytes: ((chunk: Buffer) => void) | undefined): AsyncGenerator<CsvRow, void, undefined> {
  // A parse error would destroy the stream and drop the records parsed before it but not yet
  // pulled; skipping the bad record instead keeps them, and the loop stops where it was.
  // Empty lines come through as records of one empty field, so every line is counted here.
  const syntaxErrors: ParserError[] = []
  const parser = parse({
    bom: true, delimiter, relax_column_count: true, skip_records_with_error: true,
    on_skip: (err: ParserError | undefined) => { if (err !== undefined) syntaxErrors.push(err) }
  })
  const done = (): void => {}
  if (onBytes === undefined) pipeline(createReadStream(path), parser, done)
  else pipeline(createReadStream(path), tap(onBytes), parser, done)
  let lastLine = 0
  let records = 0
  const stopAtSyntaxError = (): void => {
    const err = syntaxErrors[0]
    if (err === undefined || (err as unknown as { records: number }).records > records) return
    parser.destroy()
    throw Object.assign(err, { row: lastLine + 1 })
  }
  for await (const fields of parser as AsyncIterable<string[]>) {
    stopAtSyntaxError()
    const row = lastLine + 1
    lastLine = row + lineBreaksIn(fields)
    records++
    yield { row, fields }
  }
  stopAtSyntaxError()
}

function lineBreaksIn (fields: string[]): number {
  let breaks = 0
  for (const field of fields) {
    if (!field.includes('\n') && !field.includes('\r')) continue
    breaks += field.match(/\r\n|\r|\n/g)!.length
  }
  return breaks
}

function tap (onBytes: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      onBytes(chunk)
      callback(null, chunk)
    }
  })
}

function isParserError (err: unknown): err is ParserError {
  const code = (err as { code?: unknown } | undefined)?.code
  return err instanceof Error && typeof code === 'string' && /^(CSV_|INVALID_)/.test(code)
}

function describeParserError (err: ParserError, header: string[]): string {
  const field = (err as { column?: unknown }).column
  const column = typeof field === 'number' && header[field] !== undefined ? ` (column "${header[field]}")` : ''
  switch (err.code) {
    case 'INVALID_OPENING_QUOTE':
      return `a quote inside an unquoted field${column}: put the whole field in quotes and double the quote, as in "5"" screen"`
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `text after the closing quote of a quoted field${column}: a quote inside a quoted field is written twice ("")`
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field that starts here is not closed before the end of the file'
    default:
      return err.message
  }
}
