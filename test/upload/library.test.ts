import path from 'node:path'
import t from 'tap'
import { token } from '../helpers/service.js'
import * as upload from '../../src/upload/index.js'
import { directoryUsers, EXAMPLES, FIXTURES, UPLOAD_ROLES, uploadJob, uploadService } from './helpers.js'

t.test('the uploader as a library: convert, upload and wait from other code', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const mapping = await upload.loadMappingFile(path.join(EXAMPLES, 'attribute-mapping.json'))
  const seen: string[] = []
  const result = await upload.uploadCsv({
    csvPath: path.join(FIXTURES, 'csv-with-5-records.txt'),
    mapping,
    url: job.url,
    tokens: upload.staticToken(token(UPLOAD_ROLES, 'hr-library')),
    batchSize: 2,
    checkpointPath: null,
    wait: true,
    onAccepted: request => seen.push(request.requestId)
  })
  t.match(result, { stoppedForInvalidRows: false, interrupted: false, accepted: { requests: 3, rows: 5 } })
  t.equal(seen.length, 3)
  t.equal(result.results?.operations, 5)
  t.equal(result.results?.counts.get('create')?.get('success'), 5)
  const users = await directoryUsers(service.db, job.directoryId)
  t.equal(users.get('1727')?.managerEmployeeId, '1222', 'managers link within the file')

  // The converter on its own: any CSV, any mapping, no service.
  const csv = await upload.openCsv(path.join(FIXTURES, 'csv-with-2-records.csv'))
  const convert = upload.compileMapping(mapping, csv.header)
  const users2: unknown[] = []
  for await (const row of csv.rows) users2.push(convert(row))
  t.match(users2, [{ ok: true, row: 2, externalId: '1222', user: { userName: 'EMP1222@contoso.com', active: false } }, { ok: true, row: 3, externalId: '1513' }])
})
