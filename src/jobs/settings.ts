/** Per-job settings; stored as JSON so later settings need no migration. */
export interface JobSettings {
  notificationEmail: string | null
  /** Most operations one bulk request may carry (Entra allows 50). */
  maxOperations: number
  /** Largest body accepted, in bytes; refused with 413 before it is read whole. */
  maxPayloadBytes: number
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  notificationEmail: null,
  maxOperations: 1000,
  maxPayloadBytes: 5 * 1024 * 1024
}

/** Upper bounds an operator may raise the limits to; they protect the process's memory. */
export const SETTINGS_CEILINGS = { maxOperations: 10_000, maxPayloadBytes: 50 * 1024 * 1024 }

export function withDefaults (stored: Partial<JobSettings> | null | undefined): JobSettings {
  return { ...DEFAULT_JOB_SETTINGS, ...(stored ?? {}) }
}
