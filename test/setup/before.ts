import { startTestServer } from './embedded-server.js'

// Only needed when the suite is not pointed at an external PostgreSQL. The tap runner is
// this script's parent, and the parent of every test process of this run.
if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') {
  const url = await startTestServer(process.ppid)
  process.stdout.write(`# embedded PostgreSQL for this run at ${url.replace(/:[^:@]*@/, ':***@')}\n`)
}
