import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { firstDirectoryClosedToOthers } from '../../src/db/postgres-user-access.js'
import { copyPrograms, packagedPrograms, relocatedLayout } from '../../src/db/relocated-postgres.js'
import { PROJECT_ROOT } from '../../src/paths.js'

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

t.test('as root, what the postgres user cannot reach is run from EMBEDDED_PG_HOME, which must be open itself', { skip: process.getuid?.() !== 0 && 'only root runs PostgreSQL as another user' }, async t => {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'pg-access-'))
  t.teardown(() => rmSync(outer, { recursive: true, force: true }))
  chmodSync(outer, 0o755)
  const home = path.join(outer, 'home')
  const open = path.join(outer, 'open', '.data', 'pg')
  const closedDir = path.join(outer, 'closed')
  mkdirSync(closedDir)
  chmodSync(closedDir, 0o700)
  const closed = path.join(closedDir, '.data', 'pg')
  const version = JSON.parse(readFileSync(path.join(packagedPrograms(), '..', 'package.json'), 'utf8')).version

  const forClosedData = relocatedLayout(closed, home)!
  t.equal(forClosedData.programs, path.join(home, `postgres-${version}`), 'programs copied per package version')
  t.match(forClosedData.databaseDir, new RegExp(`^${home}/cluster-[0-9a-f]{12}$`), 'the cluster in the home')
  t.equal(relocatedLayout(closed, home)!.databaseDir, forClosedData.databaseDir, 'the same cluster on every start')
  t.not(relocatedLayout(path.join(closedDir, 'other', 'pg'), home)!.databaseDir, forClosedData.databaseDir, 'another DATA_DIR, another cluster')
  t.match(forClosedData.explanation, `${closedDir} (on the way to its data): it runs from EMBEDDED_PG_HOME instead`)

  const forOpenData = relocatedLayout(open, home)
  if (firstDirectoryClosedToOthers(PROJECT_ROOT) === undefined) {
    t.equal(forOpenData, undefined, 'nothing to move: the package runs PostgreSQL where it is')
  } else {
    t.equal(forOpenData?.databaseDir, open, 'a closed checkout moves the programs, not a data directory that is open')
  }

  t.throws(() => relocatedLayout(closed, path.join(closedDir, 'home')), {
    message: new RegExp(`nor can it enter ${closedDir}, on the way to EMBEDDED_PG_HOME .*DATABASE_URL`)
  }, 'a home the postgres user cannot reach either is refused, saying what to do')
})

t.test('the programs are copied once, whole, and run from the copy', { skip: process.getuid?.() !== 0 && 'only root runs PostgreSQL as another user' }, async t => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'pg-programs-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const target = path.join(home, 'postgres-test')
  copyPrograms(packagedPrograms(), target)
  const copied = statSync(path.join(target, 'bin', 'postgres')).mtimeMs
  copyPrograms(packagedPrograms(), target)
  t.equal(statSync(path.join(target, 'bin', 'postgres')).mtimeMs, copied, 'a whole copy is kept')
  t.same(readdirSync(home), ['postgres-test'], 'no partial copy left behind')
  t.match(execFileSync(path.join(target, 'bin', 'postgres'), ['--version']).toString(), /^postgres \(PostgreSQL\) \d+/, 'the copy finds its libraries')
})
