/**
 * Regenerates openapi.yaml from the routes' schemas (`npm run openapi`). With `--check` it
 * writes nothing and exits 1 when the committed file differs from the generated one.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generateOpenapiYaml } from '../src/http/generate-openapi.js'
import { OPENAPI_FILE, PROJECT_ROOT } from '../src/paths.js'

const generated = await generateOpenapiYaml()
const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => undefined)
const name = path.relative(PROJECT_ROOT, OPENAPI_FILE)

if (process.argv.includes('--check')) {
  if (committed !== generated) {
    process.stderr.write(`${name} is out of date: run npm run openapi\n`)
    process.exitCode = 1
  } else {
    process.stdout.write(`${name} is up to date\n`)
  }
} else if (committed === generated) {
  process.stdout.write(`${name} unchanged\n`)
} else {
  await writeFile(OPENAPI_FILE, generated)
  process.stdout.write(`${name} written\n`)
}
