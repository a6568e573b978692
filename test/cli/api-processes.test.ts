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
  const serving = async (): Promise<boolean> => await fetch(`${base}/health/ready`).then(response => response.ok, () => false)
  await waitFor('the API processes', async () => childrenOf(api.pid!).length === 2 && await serving(), 60000)
  const first = childrenOf(api.pid!)

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
  await waitFor('a replacement process', async () => {
    const now = childrenOf(api.pid!)
    return now.length === 2 && !now.includes(first[0]!) && await serving()
  }, 60000)
  t.ok(childrenOf(api.pid!).includes(first[1]!), 'the other process kept running')

  const children = childrenOf(api.pid!)
  const exited = once(api, 'exit')
  api.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'the command exits 0 after a graceful stop')
  t.same(children.filter(processAlive), [], 'no API process is left')
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
