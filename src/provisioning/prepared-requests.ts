import { prepareRequest, type PreparedRequest } from './prepare-request.js'

type Entry =
  | { state: 'read', payload: string }
  | { state: 'prepared', request: PreparedRequest }
  | { state: 'failed', error: unknown }

/**
 * Requests read ahead of their batch, by id, and parsed and mapped when the worker has
 * nothing better to do. A payload never changes once accepted, so what was prepared from it
 * stays valid until the request is processed.
 */
export class PreparedRequests {
  private readonly entries = new Map<string, Entry>()

  ids (): string[] {
    return [...this.entries.keys()]
  }

  has (requestId: string): boolean {
    return this.entries.has(requestId)
  }

  /** Keeps the payload; it is prepared by `prepareWaiting` or, at the latest, when taken. */
  add (requestId: string, payload: string): void {
    this.entries.set(requestId, { state: 'read', payload })
  }

  /**
   * Prepares every payload read so far. Called while PostgreSQL is busy with a long
   * statement of the current batch, so the CPU work of the next batch fills that wait instead
   * of delaying the current batch's replies. A payload that fails to prepare fails when
   * taken, as it would have failed unprepared.
   */
  prepareWaiting (): void {
    for (const [id, entry] of this.entries) {
      if (entry.state !== 'read') continue
      try {
        this.entries.set(id, { state: 'prepared', request: prepareRequest(entry.payload) })
      } catch (error) {
        this.entries.set(id, { state: 'failed', error })
      }
    }
  }

  take (requestId: string): PreparedRequest | undefined {
    const entry = this.entries.get(requestId)
    this.entries.delete(requestId)
    if (entry === undefined) return undefined
    if (entry.state === 'failed') throw entry.error
    return entry.state === 'prepared' ? entry.request : prepareRequest(entry.payload)
  }

  /** Keeps only the given requests' entries (the next batch's); the rest are let go. */
  retainOnly (requestIds: Set<string>): void {
    for (const id of this.entries.keys()) if (!requestIds.has(id)) this.entries.delete(id)
  }

  clear (): void {
    this.entries.clear()
  }
}
