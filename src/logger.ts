import type { LoggerOptions } from 'pino'
import type { Config } from './config.js'

/** pino everywhere; tokens never reach a log line. */
export function loggerOptions (config: Pick<Config, 'LOG_LEVEL'>): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', 'token'], censor: '[redacted]' }
  }
}
