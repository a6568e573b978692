import v8 from 'node:v8'

const FLAG = '--heap-growing-percent'

/**
 * By its own heuristics V8 lets garbage pile up to about twice what is alive before a full
 * collection. Parsing and validating a 1,000-user upload makes megabytes of short-lived
 * objects, so under four large uploads at once an API process peaked near 280 MB and a worker
 * near 240 MB (npm run bench). Bounded growth keeps them near 170 and 175 MB:
 * - the API keeps little alive between requests, so collecting often is cheap: 25 %;
 * - a worker holds its batches, the next one read ahead and the job's compiled schema, so
 *   frequent collections cost it: at 25 % its CPU per user rose by a third, at 100 % not
 *   measurably;
 * - `start` runs both in one process.
 */
export const DEFAULT_HEAP_GROWTH = { api: 25, worker: 100, start: 50 } as const

export type ServiceRole = keyof typeof DEFAULT_HEAP_GROWTH

/**
 * The V8 flag to set for a role, or undefined: with HEAP_GROWTH_PERCENT 0 (V8's own choice)
 * and when `node` itself was given the flag, since then the operator chose it.
 */
export function heapGrowthFlag (role: ServiceRole, percent: number = DEFAULT_HEAP_GROWTH[role], nodeArgs: readonly string[] = process.execArgv): string | undefined {
  if (percent <= 0 || nodeArgs.some(arg => arg.replaceAll('_', '-').startsWith(FLAG))) return undefined
  return `${FLAG}=${percent}`
}

export function applyHeapGrowth (role: ServiceRole, percent?: number): void {
  const flag = heapGrowthFlag(role, percent)
  if (flag !== undefined) v8.setFlagsFromString(flag)
}
