import t from 'tap'
import { heapGrowthFlag } from '../../src/heap-growth.js'
import { loadConfig } from '../../src/config.js'

t.test('each role has its own default, HEAP_GROWTH_PERCENT overrides it', async t => {
  t.equal(heapGrowthFlag('api', undefined, []), '--heap-growing-percent=25')
  t.equal(heapGrowthFlag('worker', undefined, []), '--heap-growing-percent=100')
  t.equal(heapGrowthFlag('start', undefined, []), '--heap-growing-percent=50')
  t.equal(heapGrowthFlag('worker', loadConfig({ HEAP_GROWTH_PERCENT: '40' }).HEAP_GROWTH_PERCENT, []), '--heap-growing-percent=40')
  t.equal(loadConfig({}).HEAP_GROWTH_PERCENT, undefined, 'unset: the role decides')
})

t.test('0 leaves the heap to V8, and a flag given to node wins', async t => {
  t.equal(heapGrowthFlag('api', 0, []), undefined)
  t.equal(heapGrowthFlag('api', 25, ['--heap-growing-percent=80']), undefined)
  t.equal(heapGrowthFlag('api', 25, ['--heap_growing_percent', '80']), undefined)
  t.equal(heapGrowthFlag('api', 25, ['--max-old-space-size=512']), '--heap-growing-percent=25')
})

t.test('HEAP_GROWTH_PERCENT must be a whole number from 0 to 1000', async t => {
  t.throws(() => loadConfig({ HEAP_GROWTH_PERCENT: '-1' }))
  t.throws(() => loadConfig({ HEAP_GROWTH_PERCENT: 'lots' }))
  t.throws(() => loadConfig({ HEAP_GROWTH_PERCENT: '1001' }))
})
