/** Graph's error body: `{"error": {"code", "message", "details": [...]}}`. */
export interface GraphErrorDetail {
  code: string
  message: string
  target?: string
  index?: number
  bulkId?: string
  [key: string]: unknown
}

export class GraphError extends Error {
  /** Response headers that belong with the error (Retry-After on a 429). */
  headers: Record<string, string> = {}

  constructor (readonly statusCode: number, readonly code: string, message: string, readonly details: GraphErrorDetail[] = []) {
    super(message)
  }

  toBody (): { error: { code: string, message: string, details: GraphErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } }
  }
}

export const notFound = (what: string): GraphError => new GraphError(404, 'ResourceNotFound', `${what} does not exist.`)
