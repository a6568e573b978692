import { randomUUID } from 'node:crypto'
import type { Db } from '../db/pool.js'

export interface Directory {
  id: string
  displayName: string
  kind: 'entra' | 'ad'
  /** entra: the verified domains, the first the default; ad: its one domain. */
  domains: string[]
  /** ad: where users go when no mapping places them, canonical RFC 4514; null for entra. */
  defaultOu: string | null
  createdAt: Date
}

function toDirectory (row: any): Directory {
  return { id: row.id, displayName: row.display_name, kind: row.kind, domains: row.domains, defaultOu: row.default_ou, createdAt: row.created_at }
}

export async function createDirectory (db: Db, input: { displayName: string, kind: 'entra' | 'ad', domains: string[], defaultOu?: string | null }): Promise<Directory> {
  const { rows: [row] } = await db.query(
    'INSERT INTO directories (id, display_name, kind, domains, default_ou) VALUES ($1, $2, $3, $4, $5) RETURNING *',
    [randomUUID(), input.displayName, input.kind, input.domains.map(domain => domain.toLowerCase()), input.defaultOu ?? null])
  return toDirectory(row)
}

export async function getDirectory (db: Db, id: string): Promise<Directory | undefined> {
  const { rows: [row] } = await db.query('SELECT * FROM directories WHERE id = $1', [id])
  return row === undefined ? undefined : toDirectory(row)
}
