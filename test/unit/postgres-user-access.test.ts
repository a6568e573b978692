import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { assertEmbeddedPostgresReachable, firstDirectoryClosedToOthers } from '../../src/db/postgres-user-access.js'
import { PROJECT_ROOT } from '../../src/paths.js'

// Only root runs PostgreSQL as another user; a checkout closed to others is refused whatever
// the data directory (test/cli/start.test.ts shows that case).
const skipRefusal = process.getuid?.() !== 0
  ? 'only root runs PostgreSQL as another user'
  : firstDirectoryClosedToOthers(PROJECT_ROOT) !== undefined && 'the checkout itself is closed to the postgres user'

t.test('the first directory others may not pass is found, from the root down, also for a path not made yet', async t => {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'pg-access-'))
  t.teardown(() => rmSync(outer, { recursive: true, force: true }))
  const inner = path.join(outer, 'checkout', '.data')
  mkdirSync(inner, { recursive: true })
  chmodSync(outer, 0o700)
  chmodSync(path.join(outer, 'checkout'), 0o700)
  t.equal(firstDirectoryClosedToOthers(inner), outer, 'the outer of two closed directories')
  t.equal(firstDirectoryClosedToOthers(path.join(inner, 'pg', 'not-yet')), outer)
  chmodSync(outer, 0o711)
  t.equal(firstDirectoryClosedToOthers(inner), path.join(outer, 'checkout'))
  chmodSync(path.join(outer, 'checkout'), 0o755)
  t.equal(firstDirectoryClosedToOthers(inner), undefined)
})

t.test('as root, a data directory the postgres user cannot reach is refused with what to do', { skip: skipRefusal }, async t => {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'pg-access-'))
  t.teardown(() => rmSync(outer, { recursive: true, force: true }))
  chmodSync(outer, 0o700)
  t.throws(() => assertEmbeddedPostgresReachable(path.join(outer, '.data', 'pg')), {
    message: new RegExp(`cannot enter ${outer} \\(mode 700\\).*chmod o\\+x ${outer}.*DATABASE_URL`)
  })
  chmodSync(outer, 0o755)
  t.doesNotThrow(() => assertEmbeddedPostgresReachable(path.join(outer, '.data', 'pg')))
})
