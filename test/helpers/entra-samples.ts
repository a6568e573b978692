import path from 'node:path'
import { PROJECT_ROOT } from '../../src/paths.js'

/**
 * Microsoft's public samples for API-driven provisioning (bulk payloads, HR CSVs, attribute
 * mappings, the Postman collection; MIT, see its LICENSE), kept unchanged in the repository
 * so a clone alone can replay what real clients send.
 */
export const ENTRA_SAMPLES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'entra-samples')
