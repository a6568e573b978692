import { copyFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { compareDirectory, expectedUsers, readFixture, type CsvRecord } from './expected-directory.js'
import { acceptedOperations, directoryUsers, EXAMPLES, FIXTURES, runUpload, tempDir, uploadJob, uploadService } from './helpers.js'

t.test('csv-with-1000-records.csv: 624 users with their last rows\' attributes and their managers; nothing sent twice', async t => {
  const service = await uploadService(t)
  const job = await uploadJob(service)
  const dir = await tempDir(t)
  const csv = path.join(dir, 'workers.csv')
  copyFileSync(path.join(FIXTURES, 'csv-with-1000-records.csv'), csv)

  const result = await runUpload(t, [csv, '--mapping', path.join(EXAMPLES, 'attribute-mapping.json'), '--url', job.url, '--batch-size', '50', '--concurrency', '4', '--wait'])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, /Checked 1,000 rows of .*workers\.csv \(delimiter ","\): 1,000 valid rows, 0 invalid rows\./)
  t.match(result.stderr, /progress: 1000\/1000 rows processed/)
  t.match(result.stdout, /Accepted: 1,000 rows in 20 requests/)
  t.match(result.stdout, /Processed: 1,000 operations/)
  t.match(result.stdout, /create\s+624\s+0\s+0/)
  t.notMatch(result.stdout, /Failed records/)

  const operations = await acceptedOperations(service.db, job.jobId)
  t.equal(operations.length, 1000, 'every row sent once')
  t.equal(new Set(operations.map(op => op.bulkId)).size, 1000, 'no row twice')
  const records = readFixture('csv-with-1000-records.csv')
  compareDirectory(t, await directoryUsers(service.db, job.directoryId), expectedUsers(records))

  // The checkpoint says it all went: the same command sends nothing.
  const again = await runUpload(t, [csv, '--mapping', path.join(EXAMPLES, 'attribute-mapping.json'), '--url', job.url])
  t.equal(again.code, 0, again.stderr)
  t.match(again.stdout, /was already accepted \(20 requests, checkpoint .*workers\.csv\.checkpoint\.jsonl\); nothing was sent/)
  t.equal((await acceptedOperations(service.db, job.jobId)).length, 1000)
})

t.test('the Sample1 employee, contractor and intern files, one job each on one directory', async t => {
  const service = await uploadService(t)
  const employees = await uploadJob(service)
  // The three jobs write one directory, as HR feeds for employees, contractors and interns do.
  const contractors = await uploadJob(service, { directoryId: employees.directoryId })
  const interns = await uploadJob(service, { directoryId: employees.directoryId })
  const dir = await tempDir(t)
  const all: CsvRecord[] = []
  for (const [job, file, mapping] of [[employees, 'employeeData.csv', 'employee.json'], [contractors, 'contractorData.csv', 'contractor.json'], [interns, 'internData.csv', 'intern.json']] as const) {
    const result = await runUpload(t, [path.join(FIXTURES, file), '--mapping', path.join(EXAMPLES, mapping), '--url', job.url, '--wait', '--checkpoint', path.join(dir, `${file}.checkpoint`)])
    t.equal(result.code, 0, `${file}: ${result.stderr}`)
    const records = readFixture(file)
    t.match(result.stdout, new RegExp(`Accepted: ${records.length} rows`), file)
    t.equal((await acceptedOperations(service.db, job.jobId)).length, records.length, `${file}: every row once`)
    all.push(...records)
  }
  compareDirectory(t, await directoryUsers(service.db, employees.directoryId), expectedUsers(all))
})
