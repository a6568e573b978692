import { startTestServer } from './embedded-server.js'

// Only needed when the suite is not pointed at an external PostgreSQL.
if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') {
  const url = await startTestServer()
  process.stdout.write(`# embedded PostgreSQL for tests at ${url.replace(/:[^:@]*@/, ':***@')}\n`)
}
