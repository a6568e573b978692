import { fileURLToPath } from 'node:url'
import path from 'node:path'

/**
 * The package root, whether this file runs from `src/` (tsx) or `dist/` (compiled):
 * both sit one level below it, next to `schemas/`, `migrations/` and `openapi.yaml`.
 */
export const PROJECT_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..')
export const SCHEMAS_DIR = path.join(PROJECT_ROOT, 'schemas')
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations')
export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'openapi.yaml')
