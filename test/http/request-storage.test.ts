import t from 'tap'
import { createJob } from '../helpers/service.js'
import { accept, bulk, post, provisioningFixture } from '../helpers/provisioning.js'

// A paused job: the bodies stay as accepted, nothing processes them.
const { app, db } = await provisioningFixture(t, {}, { worker: false })

/** True when the server was built with lz4 (it then offers it as a TOAST compression). */
async function serverHasLz4 (): Promise<boolean> {
  const { rows: [row] } = await db.query(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`)
  return row.lz4 === true
}

t.test('a request body is stored exactly as sent, compressed where the server has lz4', async t => {
  const job = await createJob(app, { start: false })
  // Fifty users as an HR system sends them, names with diacritics and non-Latin scripts included.
  const users = Array.from({ length: 50 }, (_, n) => post({
    externalId: `E${1000 + n}`,
    userName: `user${n}@contoso.com`,
    name: { givenName: ['Zoë', 'Łukasz', '美咲', 'Ana'][n % 4], familyName: `Müller-${n}` },
    displayName: `User ${n} ✓`,
    title: 'Engineer',
    emails: [{ type: 'work', value: `user${n}@contoso.com`, primary: true }],
    addresses: [{ type: 'work', streetAddress: `${n} Main Street`, locality: 'Redmond', region: 'WA', postalCode: '98052', country: 'US' }]
  }))
  const body = JSON.stringify(bulk(users), null, 2)
  const requestId = await accept(app, job, body)

  const { rows: [stored] } = await db.query(
    `SELECT payload = $2 AS same, pg_column_compression(payload) AS compression, pg_column_size(payload) AS "storedBytes", octet_length(payload) AS bytes
     FROM bulk_requests WHERE id = $1`, [requestId, body])
  t.equal(stored.same, true, 'the body reads back byte for byte')
  if (await serverHasLz4()) {
    t.equal(stored.compression, 'lz4')
    t.ok(stored.storedBytes * 3 < stored.bytes, `${stored.bytes} bytes take ${stored.storedBytes} stored`)
  } else {
    t.equal(stored.compression, null, 'without lz4, stored uncompressed')
  }
})
