import t from 'tap'
import { createPool } from '../../src/db/pool.js'
import { analyzeChangedTables, GROWTH_STATISTICS_TARGET } from '../../src/db/statistics.js'
import { createTestDatabase } from '../helpers/environment.js'
import { sleep } from '../helpers/http.js'

// With autovacuum off, these refreshes are all that tells the planner a directory grew.
const db = createPool(await createTestDatabase(t), 1)
t.teardown(() => db.end())

/** Table activity reaches pg_stat_user_tables shortly after it commits, not at once. */
async function analyzeOnceCounted (): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const analyzed = await analyzeChangedTables(db)
    if (analyzed.length > 0) return analyzed
    await sleep(100)
  }
  return []
}

t.test('a table that grew is analyzed: its size and unique columns are known, from a small sample', async t => {
  const { rows: [directory] } = await db.query(`INSERT INTO directories (id, display_name, kind, domains) VALUES (gen_random_uuid(), 'd', 'entra', '{contoso.com}') RETURNING id`)
  await db.query(
    `INSERT INTO directory_users (id, directory_id, employee_id, user_principal_name, mail_nickname, display_name)
     SELECT gen_random_uuid(), $1, g::text, 'user' || g || '@contoso.com', 'user' || g, 'User ' || g FROM generate_series(1, 5000) g`, [directory.id])

  t.strictSame(await analyzeOnceCounted(), ['directory_users'])
  const { rows: [table] } = await db.query(`SELECT reltuples::int AS rows FROM pg_class WHERE relname = 'directory_users'`)
  t.equal(table.rows, 5000, 'the planner knows the table is no longer empty')
  const { rows: stats } = await db.query(
    `SELECT attname, n_distinct, coalesce(array_length(histogram_bounds::text::text[], 1), 0) AS bounds FROM pg_stats
     WHERE tablename = 'directory_users' AND attname IN ('employee_id', 'display_name') ORDER BY attname`)
  t.strictSame(stats.map(row => [row.attname, row.n_distinct]), [['display_name', -1], ['employee_id', -1]], 'unique columns are known as unique')
  t.ok(stats.every(row => row.bounds > 0 && row.bounds <= GROWTH_STATISTICS_TARGET + 1), `histograms hold at most ${GROWTH_STATISTICS_TARGET + 1} bounds`)

  const { rows: [setting] } = await db.query('SHOW default_statistics_target')
  t.equal(setting.default_statistics_target, '100', "the connection keeps the server's target for everything else")
  t.strictSame(await analyzeChangedTables(db), [], 'a table that has not changed by half since is left alone')
})
