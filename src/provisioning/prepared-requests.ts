import type { BulkOperation } from '../scim/types.js'
import { mapRequest, parseStoredRequest, prepareRequest, type Preparation, type PreparedRequest } from './prepare-request.js'

type Entry =
  | { state: 'read', payload: string }
  | { state: 'parsed', operations: BulkOperation[] }
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

  /** Keeps the payload; it is prepared by `parseWaiting` and `prepareWaiting` or, at the latest, when taken. */
  add (requestId: string, payload: string): void {
    this.entries.set(requestId, { state: 'read', payload })
  }

  /**
   * The first half of preparing what was read: parsing and validating, which does not
   * depend on the job's schema. A batch has two long waits on PostgreSQL (its users, then
   * its log), each too short for the whole of the next batch's preparation: this half fills
   * the first, `prepareWaiting` the second. A payload that fails fails when taken, as it
   * would have failed unprepared.
   */
  parseWaiting (): void {
    for (const [id, entry] of this.entries) {
      if (entry.state === 'read') this.entries.set(id, attempt(() => ({ state: 'parsed', operations: parseStoredRequest(entry.payload) })))
    }
  }

  /** Prepares what was read, parsing first what is not parsed yet. */
  prepareWaiting (): void {
    const preparation = this.preparation
    if (preparation === undefined) return
    this.parseWaiting()
    for (const [id, entry] of this.entries) {
      if (entry.state === 'parsed') this.entries.set(id, attempt(() => ({ state: 'prepared', request: mapRequest(entry.operations, preparation) })))
    }
  }

  /** The request prepared with `preparation`'s schema; one prepared with an older schema is let go (undefined). */
  take (requestId: string, preparation: Preparation): PreparedRequest | undefined {
    const entry = this.entries.get(requestId)
    this.entries.delete(requestId)
    if (entry === undefined) return undefined
    switch (entry.state) {
      case 'failed': throw entry.error
      case 'read': return prepareRequest(entry.payload, preparation)
      case 'parsed': return mapRequest(entry.operations, preparation)
      case 'prepared': return entry.request.schemaVersion === preparation.schema.version ? entry.request : undefined
    }
  }

  /** Keeps only the given requests' entries (the next batch's); the rest are let go. */
  retainOnly (requestIds: Set<string>): void {
    for (const id of this.entries.keys()) if (!requestIds.has(id)) this.entries.delete(id)
  }

  clear (): void {
    this.entries.clear()
  }
}

function attempt (step: () => Entry): Entry {
  try {
    return step()
  } catch (error) {
    return { state: 'failed', error }
  }
}
