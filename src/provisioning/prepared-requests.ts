import { prepareRequest, type Preparation, type PreparedRequest } from './prepare-request.js'

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
  /** The job's schema as the last batch saw it: what payloads read ahead are mapped with. */
  private preparation?: Preparation

  /** Set by each batch before anything is prepared: a schema saved since is picked up here. */
  use (preparation: Preparation): void {
    this.preparation = preparation
  }

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
    const preparation = this.preparation
    if (preparation === undefined) return
    for (const [id, entry] of this.entries) {
      if (entry.state !== 'read') continue
      try {
        this.entries.set(id, { state: 'prepared', request: prepareRequest(entry.payload, preparation) })
      } catch (error) {
        this.entries.set(id, { state: 'failed', error })
      }
    }
  }

  /** The request prepared with `preparation`'s schema; one prepared with an older schema is let go (undefined). */
  take (requestId: string, preparation: Preparation): PreparedRequest | undefined {
    const entry = this.entries.get(requestId)
    this.entries.delete(requestId)
    if (entry === undefined) return undefined
    if (entry.state === 'failed') throw entry.error
    if (entry.state === 'read') return prepareRequest(entry.payload, preparation)
    return entry.request.schemaVersion === preparation.schema.version ? entry.request : undefined
  }

  /** Keeps only the given requests' entries (the next batch's); the rest are let go. */
  retainOnly (requestIds: Set<string>): void {
    for (const id of this.entries.keys()) if (!requestIds.has(id)) this.entries.delete(id)
  }

  clear (): void {
    this.entries.clear()
  }
}
