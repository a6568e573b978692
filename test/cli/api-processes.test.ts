// API_PROCESSES: one `scim-inbound api` command runs several API processes on one port,
// replaces one that dies, and stops them all gracefully on SIGTERM.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { auth, buildService, bulkRequest, createJob, scimUser } from '../helpers/service.js'
import { freePort, spawnCli, waitFor } from '../helpers/processes.js'

/**
 * The live (not zombie) Node processes a process forked, from /proc. Only Node ones: under
 * tsx, a process may also run esbuild's service as a child, whenever a file is not in its cache.
 */
function childrenOf (parent: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(ppid) === parent && state !== 'Z' && command === 'node') children.push(Number(entry))
    } catch { /* gone meanwhile */ }
  }
  return children
}

t.test('API_PROCESSES=2: two processes share the port, one that dies is replaced, SIGTERM stops all', async t => {
  const { app, config } = await buildService(t)
  const job = await createJob(app)
  const port = await freePort()
  const api = spawnCli(t, 'api', config, { API_PROCESSES: '2', HOST: '127.0.0.1', PORT: String(port), SHUTDOWN_DELAY_MS: '3000' })
  const base = `http://127.0.0.1:${port}`
  // The command says each time one of its processes listens; until then, connections go to the others.
  let stderr = ''
  api.stderr?.on('data', chunk => { stderr += String(chunk) })
  const listeningPids = (): number[] => {
    if (api.exitCode !== null) throw new Error(`the command exited ${api.exitCode}: ${stderr}`)
    return [...stderr.matchAll(/API process (\d+) is listening/g)].map(match => Number(match[1]))
  }
  await waitFor('both API processes to listen', async () => listeningPids().length === 2, 60000)
  const first = listeningPids()
  t.same(childrenOf(api.pid!).sort(), [...first].sort(), 'the processes listening are the command\'s children')

  // Uploads, each on its own connection, are accepted and committed.
  const responses = await Promise.all(Array.from({ length: 20 }, async (_, i) => await fetch(`${base}${job.uploadUrl}`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/scim+json', connection: 'close' },
    body: JSON.stringify(bulkRequest([scimUser(String(7000 + i))]))
  })))
  t.same(responses.map(response => response.status), Array(20).fill(202))
  const { rows: [{ n }] } = await app.db.query('SELECT count(*)::int AS n FROM bulk_requests WHERE job_id = $1', [job.jobId])
  t.equal(n, 20, 'every 202 is a committed request')

  process.kill(first[0]!, 'SIGKILL')
  const [replacement] = await waitFor('a replacement process to listen', async () => listeningPids().length === 3 && listeningPids().slice(2), 60000)
  t.same(childrenOf(api.pid!).sort(), [first[1]!, replacement!].sort(), 'the other process kept running beside its new peer')
  const served = await Promise.all(Array.from({ length: 4 }, async () => await fetch(`${base}/health/ready`, { headers: { connection: 'close' } }).then(response => response.status)))
  t.same(served, [200, 200, 200, 200], 'the port is served')

  const children = childrenOf(api.pid!)
  const exited = once(api, 'exit')
  api.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'the command exits 0 after a graceful stop')
  t.same(children.filter(processAlive), [], 'no API process is left')
})

t.test('API_PROCESSES=2: a process killed while it starts is replaced, not taken for a bad configuration', async t => {
  const { config } = await buildService(t)
  const api = spawnCli(t, 'api', config, { API_PROCESSES: '2', HOST: '127.0.0.1', PORT: String(await freePort()) })
  let stderr = ''
  api.stderr?.on('data', chunk => { stderr += String(chunk) })
  const listeningPids = (): number[] => {
    if (api.exitCode !== null) throw new Error(`the command exited ${api.exitCode}: ${stderr}`)
    return [...stderr.matchAll(/API process (\d+) is listening/g)].map(match => Number(match[1]))
  }
  // Starting one takes seconds (modules, pool, schemas), so a child seen at once has not listened yet.
  const [starting] = await waitFor('an API process to start', async () => childrenOf(api.pid!).length > 0 && childrenOf(api.pid!), 60000)
  t.notOk(listeningPids().includes(starting!), 'killed before it listened')
  process.kill(starting!, 'SIGKILL')
  await waitFor('two API processes to listen', async () => listeningPids().filter(pid => pid !== starting).length === 2, 60000)
  t.equal(api.exitCode, null, 'the command still runs')
  t.notOk(childrenOf(api.pid!).includes(starting!))
})

t.test('API_PROCESSES=2 with a configuration the processes refuse: the command fails instead of restarting them for ever', async t => {
  const { config } = await buildService(t)
  const api = spawnCli(t, 'api', { ...config, JWT_SECRET: undefined }, { API_PROCESSES: '2', HOST: '127.0.0.1', PORT: String(await freePort()) })
  let stderr = ''
  api.stderr?.on('data', chunk => { stderr += String(chunk) })
  const [code] = await once(api, 'exit')
  t.equal(code, 1)
  t.match(stderr, /before it listened; stopping the others/)
})

function processAlive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z'
  } catch {
    return false
  }
}
