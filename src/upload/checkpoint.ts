import { closeSync, existsSync, openSync, readFileSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { RowSet, type RowRange } from './row-ranges.js'

/** What an upload is: the same file content, mapping and job. A checkpoint resumes only its own upload. */
export interface UploadFingerprint {
  sha256: string
  size: number
  mapping: string
  url: string
}

/** A request the service accepted (202): durable on its side, never to be sent again. */
export interface AcceptedRequest {
  rows: RowRange[]
  requestId: string
  location: string
  operations: number
}

export class CheckpointError extends Error {}

const VERSION = 1

/**
 * The checkpoint is a journal, one JSON object per line: the fingerprint, then one line per
 * accepted request, appended (synchronously) the moment its 202 arrives, then a line when
 * every row was accepted. Appending keeps each write small whatever the file's size, and a
 * process killed at any point leaves every line before the last complete; a torn last line
 * is ignored. A lock file keeps two runs from using one checkpoint at a time.
 */
export class Checkpoint {
  /** Requests accepted by earlier runs of this upload, in acceptance order. */
  readonly previous: AcceptedRequest[]
  readonly acceptedRows = new RowSet()
  private fd: number
  private completedFlag: boolean
  private readonly lock: FileLock

  private constructor (readonly path: string, fd: number, previous: AcceptedRequest[], completed: boolean, lock: FileLock) {
    this.fd = fd
    this.previous = previous
    this.completedFlag = completed
    this.lock = lock
    for (const request of previous) this.acceptedRows.add(request.rows)
  }

  /**
   * Opens the checkpoint of this upload, or starts one. An unfinished checkpoint of another
   * upload (other file content, mapping or URL) is refused unless `startOver` says so;
   * a finished one is replaced.
   */
  static open (path: string, fingerprint: UploadFingerprint, options: { startOver?: boolean } = {}): Checkpoint {
    const lock = FileLock.take(`${path}.lock`)
    try {
      const existing = options.startOver === true ? undefined : readJournal(path)
      if (existing !== undefined) {
        const difference = differenceBetween(existing.fingerprint, fingerprint)
        if (difference === undefined) {
          // A line torn by a kill is cut off, so the next one starts clean.
          if (existing.intactLength !== undefined) truncateSync(path, existing.intactLength)
          const fd = openSync(path, 'a')
          return new Checkpoint(path, fd, existing.accepted, existing.completed, lock)
        }
        if (!existing.completed) {
          throw new CheckpointError(`${path} belongs to an unfinished upload of ${difference}. ` +
            'Run that upload again to finish it, or pass --start-over to start this one over (rows that upload sent may then be sent again), or choose another --checkpoint.')
        }
      }
      writeFileSync(path, JSON.stringify({ checkpoint: VERSION, ...fingerprint, startedAt: new Date().toISOString() }) + '\n')
      return new Checkpoint(path, openSync(path, 'a'), [], false, lock)
    } catch (err) {
      lock.release()
      throw err
    }
  }

  get completed (): boolean {
    return this.completedFlag
  }

  recordAccepted (request: AcceptedRequest): void {
    this.append({ accepted: request.rows, requestId: request.requestId, location: request.location, operations: request.operations, at: new Date().toISOString() })
    this.acceptedRows.add(request.rows)
  }

  markCompleted (): void {
    if (this.completedFlag) return
    this.append({ completed: true, at: new Date().toISOString() })
    this.completedFlag = true
  }

  close (): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
    this.lock.release()
  }

  private append (entry: object): void {
    writeSync(this.fd, JSON.stringify(entry) + '\n')
  }
}

interface Journal {
  fingerprint: UploadFingerprint
  accepted: AcceptedRequest[]
  completed: boolean
  /** Set when the last line is torn: the length of the file without it. */
  intactLength?: number
}

function readJournal (path: string): Journal | undefined {
  if (!existsSync(path)) return undefined
  const text = readFileSync(path, 'utf8')
  const lines = text.split('\n')
  const intactLength = !text.endsWith('\n') && text !== '' ? Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)) : undefined
  const entries: Array<Record<string, unknown>> = []
  lines.forEach((line, index) => {
    if (line.trim() === '') return
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      if (index === lines.length - 1) return
      throw new CheckpointError(`${path} is not a checkpoint of scim-inbound upload (line ${index + 1} is not JSON); pass --start-over to replace it or choose another --checkpoint`)
    }
  })
  const header = entries[0]
  if (header?.checkpoint !== VERSION) {
    throw new CheckpointError(`${path} is not a checkpoint of scim-inbound upload; pass --start-over to replace it or choose another --checkpoint`)
  }
  const accepted: AcceptedRequest[] = []
  let completed = false
  for (const entry of entries.slice(1)) {
    if (entry.completed === true) completed = true
    else if (Array.isArray(entry.accepted)) {
      accepted.push({ rows: entry.accepted as RowRange[], requestId: String(entry.requestId), location: String(entry.location), operations: Number(entry.operations) })
    }
  }
  const fingerprint = { sha256: String(header.sha256), size: Number(header.size), mapping: String(header.mapping), url: String(header.url) }
  return { fingerprint, accepted, completed, ...(intactLength !== undefined ? { intactLength } : {}) }
}

function differenceBetween (stored: UploadFingerprint, current: UploadFingerprint): string | undefined {
  if (stored.sha256 !== current.sha256 || stored.size !== current.size) return 'a different CSV content (the file changed since)'
  if (stored.mapping !== current.mapping) return 'the same CSV with a different mapping'
  if (stored.url !== current.url) return `the same CSV to another URL (${stored.url})`
  return undefined
}

/** An exclusive lock file holding the owner's pid; a lock left by a dead process is taken over. */
class FileLock {
  private held = true
  private readonly onExit = (): void => { this.release() }

  private constructor (readonly path: string) {
    process.once('exit', this.onExit)
  }

  static take (path: string): FileLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' })
        return new FileLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new CheckpointError(`cannot write next to the checkpoint (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} on ${path}); pass --checkpoint with a path in a writable directory`)
        }
        const owner = Number(readFileSync(path, 'utf8'))
        if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
          throw new CheckpointError(`another upload (process ${owner}) is using this checkpoint (${path}); wait for it to finish`)
        }
        unlinkSync(path)
      }
    }
    throw new CheckpointError(`cannot take the lock ${path}`)
  }

  release (): void {
    if (!this.held) return
    this.held = false
    process.removeListener('exit', this.onExit)
    try { unlinkSync(this.path) } catch {}
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
