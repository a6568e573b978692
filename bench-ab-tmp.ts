import { readFileSync } from 'node:fs'
import { normalizeBulkRequest as forIn } from '/work/main/src/ingest/normalize-bulk-request.ts'
import { normalizeBulkRequest as keys } from '/tmp/normalize-keys.ts'
const parsed = JSON.parse(readFileSync('/tmp/body50.json', 'utf8'))
function time (fn: (p: unknown) => unknown): number {
  const n = 2000; const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(parsed)
  return Number(process.hrtime.bigint() - t0) / n / 1000
}
for (let i = 0; i < 3; i++) { time(forIn); time(keys) }
const a: number[] = []; const b: number[] = []
for (let r = 0; r < 15; r++) { a.push(time(forIn)); b.push(time(keys)) }
a.sort((x, y) => x - y); b.sort((x, y) => x - y)
console.log('for-in median', a[7]!.toFixed(1), 'µs/request;  Object.keys median', b[7]!.toFixed(1))
