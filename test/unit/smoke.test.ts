import t from 'tap'
import { loadConfig } from '../../src/config.js'
t.test('config defaults', async t => {
  const c = loadConfig({})
  t.equal(c.PORT, 3000)
})
