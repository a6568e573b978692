import { stopTestServer } from './embedded-server.js'

if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') stopTestServer(process.ppid)
