import { prepareRequest, type PreparedRequest } from './prepare-request.js'

/**
 * Requests parsed and mapped ahead of their batch, by id. A payload never changes once
 * accepted, so what was prepared from it stays valid until the request is processed.
 */
export class PreparedRequests {
  private readonly entries = new Map<string, Promise<PreparedRequest>>()

  ids (): string[] {
    return [...this.entries.keys()]
  }

  has (requestId: string): boolean {
    return this.entries.has(requestId)
  }

  /**
   * Prepares on a later turn of the event loop, so a batch in flight gets its PostgreSQL
   * replies handled first. A payload that fails to prepare fails when taken, as it would
   * have failed unprepared.
   */
  add (requestId: string, payload: string): void {
    const prepared = new Promise<PreparedRequest>((resolve, reject) => {
      setImmediate(() => {
        try { resolve(prepareRequest(payload)) } catch (err) { reject(err) }
      })
    })
    prepared.catch(() => {}) // never taken (cleared) must not count as unhandled
    this.entries.set(requestId, prepared)
  }

  take (requestId: string): Promise<PreparedRequest> | undefined {
    const prepared = this.entries.get(requestId)
    this.entries.delete(requestId)
    return prepared
  }

  /** Keeps only the given requests' entries (the next batch's); the rest are let go. */
  retainOnly (requestIds: Set<string>): void {
    for (const id of this.entries.keys()) if (!requestIds.has(id)) this.entries.delete(id)
  }

  clear (): void {
    this.entries.clear()
  }
}
