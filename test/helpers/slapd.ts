import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { PROJECT_ROOT } from '../../src/paths.js'

/**
 * A throw-away OpenLDAP server (Debian's `slapd` and `ldap-utils`) for tests: a slapd.conf and
 * an mdb database in a temporary directory, listening on a Unix socket there (no port to
 * race for), stopped and removed at teardown.
 */

const run = promisify(execFile)

const SEARCH_PATH = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin']
const SCHEMA_DIRS = ['/etc/ldap/schema', '/etc/openldap/schema', '/usr/local/etc/openldap/schema']
/** Where Debian keeps the backends it builds as modules; elsewhere mdb may be built in. */
const MODULE_DIR = '/usr/lib/ldap'

const AD_TEST_SCHEMA = path.join(PROJECT_ROOT, 'test/fixtures/ldap/active-directory.schema')

function findExecutable (name: string): string | undefined {
  return SEARCH_PATH.map(dir => path.join(dir, name)).find(file => existsSync(file))
}

export interface OpenLdapTools { slapd: string, ldapadd: string, ldapsearch: string, schemaDir: string }

/** The programs and stock schemas a test server needs, or why they are missing. */
export function findOpenLdap (): OpenLdapTools | string {
  const slapd = findExecutable('slapd')
  const ldapadd = findExecutable('ldapadd')
  const ldapsearch = findExecutable('ldapsearch')
  const schemaDir = SCHEMA_DIRS.find(dir => existsSync(path.join(dir, 'cosine.schema')))
  if (slapd === undefined) return 'OpenLDAP slapd is not installed (apt-get install slapd ldap-utils)'
  if (ldapadd === undefined || ldapsearch === undefined) return 'the OpenLDAP clients are not installed (apt-get install ldap-utils)'
  if (schemaDir === undefined) return 'OpenLDAP\'s stock schemas (core, cosine, inetorgperson) were not found'
  return { slapd, ldapadd, ldapsearch, schemaDir }
}

export interface TestLdapServer {
  url: string
  dir: string
  /** Runs ldapadd on a file as the root DN; resolves with its output, rejects on a non-zero exit. */
  add: (ldifFile: string) => Promise<string>
  /** ldapsearch -LLL as the root DN with the arguments given (base, scope, filter, attributes). */
  search: (...args: string[]) => Promise<string>
}

export async function startTestLdapServer (t: Test, tools: OpenLdapTools, suffix: string): Promise<TestLdapServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slapd-'))
  const rootDn = `CN=admin,${suffix}`
  const password = 'test-only-secret'
  await mkdir(path.join(dir, 'db'))
  const quoted = (value: string): string => `"${value.replace(/["\\]/g, '\\$&')}"`
  await writeFile(path.join(dir, 'slapd.conf'), [
    ...['core', 'cosine', 'inetorgperson'].map(name => `include ${path.join(tools.schemaDir, `${name}.schema`)}`),
    `include ${AD_TEST_SCHEMA}`,
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    ...(existsSync(path.join(MODULE_DIR, 'back_mdb.la')) ? [`modulepath ${MODULE_DIR}`, 'moduleload back_mdb'] : []),
    'database mdb',
    `suffix ${quoted(suffix)}`,
    `rootdn ${quoted(rootDn)}`,
    `rootpw ${password}`,
    `directory ${path.join(dir, 'db')}`,
    // The map is sparse; this only caps how large the test database may grow.
    'maxsize 268435456',
    ''
  ].join('\n'))

  const url = `ldapi://${encodeURIComponent(path.join(dir, 'ldapi'))}`
  // -d keeps slapd in the foreground as this process's child; level 0 logs nothing but fatal errors.
  const slapd = spawn(tools.slapd, ['-f', path.join(dir, 'slapd.conf'), '-h', url, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  slapd.stderr.on('data', chunk => { stderr += String(chunk) })
  const exited = new Promise<number | null>(resolve => slapd.once('exit', code => resolve(code)))
  t.teardown(async () => {
    if (slapd.exitCode === null) slapd.kill('SIGTERM')
    await exited
    await rm(dir, { recursive: true, force: true })
  })

  const bind = ['-H', url, '-x', '-D', rootDn, '-w', password]
  const search = async (...args: string[]): Promise<string> => (await run(tools.ldapsearch, [...bind, '-LLL', ...args], { maxBuffer: 256 * 1024 * 1024 })).stdout
  const deadline = Date.now() + 10_000
  for (;;) {
    if (slapd.exitCode !== null) throw new Error(`slapd exited with ${slapd.exitCode}: ${stderr}`)
    try {
      await search('-b', '', '-s', 'base', '(objectClass=*)', 'namingContexts')
      break
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`slapd did not answer within 10 s: ${String(err)} ${stderr}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  return {
    url,
    dir,
    add: async file => (await run(tools.ldapadd, [...bind, '-f', file], { maxBuffer: 256 * 1024 * 1024 })).stdout,
    search
  }
}
