/** Per-job settings; stored as JSON so later settings need no migration. */
export interface JobSettings {
  /** Where quarantine and failure notifications go; starting a job without one quarantines it. */
  notificationEmail: string | null
  /** Also mail a digest of the failures of each cycle that had any. */
  sendEmailOnFailure: boolean
  /** Hold back deletes and disables above `deleteThreshold` in one cycle (and quarantine the job). */
  deleteThresholdEnabled: boolean
  deleteThreshold: number
  /** Quarantine the job when more than this share of a cycle's operations failed… */
  failureThresholdPercent: number
  /** …once at least this many operations were evaluated in the cycle. */
  failureThresholdMinimum: number
  /**
   * Entra's setting for users leaving the scoping filter. API-driven jobs have no scoping
   * filter yet, so nothing leaves scope; kept so clients that send it are not refused.
   */
  skipOutOfScopeDeletions: boolean
  /** Most operations one bulk request may carry (Entra allows 50). */
  maxOperations: number
  /** Largest body accepted, in bytes; refused with 413 before it is read whole. */
  maxPayloadBytes: number
  /** Uploads accepted per second for this job, per API process; null: no limit of its own. */
  maxRequestsPerSecond: number | null
  /**
   * Operations waiting to be processed above which uploads get 429 (back-pressure);
   * null: the service's MAX_BACKLOG_OPERATIONS.
   */
  maxBacklogOperations: number | null
}

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  notificationEmail: null,
  sendEmailOnFailure: false,
  deleteThresholdEnabled: true,
  deleteThreshold: 500,
  failureThresholdPercent: 40,
  failureThresholdMinimum: 5000,
  skipOutOfScopeDeletions: false,
  maxOperations: 1000,
  maxPayloadBytes: 5 * 1024 * 1024,
  maxRequestsPerSecond: null,
  maxBacklogOperations: null
}

/** Upper bounds an operator may raise the limits to; they protect the process's memory. */
export const SETTINGS_CEILINGS = { maxOperations: 10_000, maxPayloadBytes: 50 * 1024 * 1024 }

export function withDefaults (stored: Partial<JobSettings> | null | undefined): JobSettings {
  return { ...DEFAULT_JOB_SETTINGS, ...(stored ?? {}) }
}

/** The settings schema, shared by the PATCH body (every property optional) and responses. */
export const JOB_SETTINGS_PROPERTIES = {
  notificationEmail: { type: ['string', 'null'], format: 'email', maxLength: 320, description: 'Where quarantine and failure notifications go. Starting a job without one quarantines it (NotificationEmailMissing).' },
  sendEmailOnFailure: { type: 'boolean', description: 'Also mail a digest of the failures of each cycle that had any (default false).' },
  deleteThresholdEnabled: { type: 'boolean', description: 'Hold back deletes and disables above deleteThreshold in one cycle (default true).' },
  deleteThreshold: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Deletes and disables allowed in one cycle before the rest are staged and the job is quarantined (TooManyDeletes; default 500).' },
  failureThresholdPercent: { type: 'integer', minimum: 1, maximum: 100, description: 'Quarantine (EncounteredEscrowProportionThreshold) when more than this percentage of a cycle\'s operations failed (default 40)…' },
  failureThresholdMinimum: { type: 'integer', minimum: 1, maximum: 100000000, description: '…once at least this many operations were evaluated in the cycle (default 5,000).' },
  skipOutOfScopeDeletions: { type: 'boolean', description: 'When a provisioned user\'s record falls out of the job\'s scoping filter, keep the user as it is instead of disabling it.' },
  maxOperations: { type: 'integer', minimum: 1, maximum: SETTINGS_CEILINGS.maxOperations, description: 'Most operations one bulk request may carry (default 1,000; Entra allows 50).' },
  maxPayloadBytes: { type: 'integer', minimum: 1024, maximum: SETTINGS_CEILINGS.maxPayloadBytes, description: 'Largest bulk request body in bytes (default 5 MiB).' },
  maxRequestsPerSecond: { type: ['integer', 'null'], minimum: 1, maximum: 100000, description: 'Uploads this job accepts per second, counted by each API process; above it, 429 with Retry-After. Null (the default): no limit of its own.' },
  maxBacklogOperations: { type: ['integer', 'null'], minimum: 1, maximum: 100000000, description: 'Operations waiting in this job\'s queue above which uploads get 429 with a Retry-After computed from how fast the job processes them. Null (the default): the service-wide bound (MAX_BACKLOG_OPERATIONS, 200,000 unless configured).' }
} as const
