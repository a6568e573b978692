import type { Db, DbClient } from './pool.js'

/**
 * Streams what `read` yields from one REPEATABLE READ, read-only transaction, so a long
 * download (every page of it) is one consistent snapshot. A reader that stops reading for
 * `idleTimeoutMs` has its session ended by PostgreSQL instead of holding it for ever.
 */
export async function * inReadSnapshot<T> (db: Db, idleTimeoutMs: number, read: (client: DbClient) => AsyncGenerator<T>): AsyncGenerator<T> {
  const client = await db.connect()
  // A checked-out client has no error listener; one ending mid-stream (the idle timeout) must not crash the process.
  let lost: Error | undefined
  const onError = (err: Error): void => { lost = err }
  client.on('error', onError)
  let finished = false
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.round(idleTimeoutMs)}`)
    yield * read(client)
    await client.query('COMMIT')
    finished = true
  } finally {
    // Also reached when the client goes away mid-download (the stream returns the generator).
    if (!finished) await client.query('ROLLBACK').catch((err: Error) => { lost ??= err })
    client.removeListener('error', onError)
    client.release(lost)
  }
}
