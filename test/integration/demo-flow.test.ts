import t from 'tap'
import { readFileSync } from 'node:fs'
import { DEMO_PAYLOAD_FILE } from '../../src/demo.js'
import { buildService, createJob, findUser, provision } from '../helpers/service.js'

t.test('the demo payload provisions three users with their managers linked', async t => {
  const service = await buildService(t)
  await service.startWorker()
  const job = await createJob(service.app)
  const status = await provision(service.app, job, readFileSync(DEMO_PAYLOAD_FILE, 'utf8'))
  t.equal(status.state, 'completed')
  t.same(status.operations.map((op: any) => [op.externalId, op.action, op.status]), [
    ['701984', 'create', 'success'], ['701985', 'create', 'success'], ['89607', 'create', 'success']])
  const barbara = await findUser(service.app, job, '701984')
  const kathy = await findUser(service.app, job, '701985')
  const john = await findUser(service.app, job, '89607')
  t.equal(barbara.userPrincipalName, 'bjensen@contoso.com')
  t.equal(barbara.mailNickname, 'bjensen')
  t.same(barbara.manager, { id: john.id }, 'manager sent after the report is linked')
  t.same(kathy.manager, { id: barbara.id })
})
