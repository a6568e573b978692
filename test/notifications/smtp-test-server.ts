import { createServer, type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'

// What the notification tests share: a real SMTP server in this process, a port where
// nothing listens, and a logger whose lines can be read back.

export interface ReceivedMail {
  /** Envelope sender and recipients, as the server saw them. */
  from: string
  to: string[]
  subject: string
  /** The text body, decoded. */
  text: string
  /** The whole message as received: headers, blank line, body. */
  raw: string
}

export interface TestSmtpServer {
  port: number
  url: string
  mails: ReceivedMail[]
  /** Messages whose data the server has begun to receive (finished or not). */
  receiving: () => number
}

/**
 * A real SMTP server on loopback (no TLS, no authentication) that keeps what it receives;
 * closed at teardown. `holdMs` delays each acceptance, to catch a send in progress.
 */
export async function startSmtpServer (t: Test, options: { port?: number, holdMs?: number } = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = []
  let receiving = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, session, callback) {
      receiving++
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const accept = (): void => {
          mails.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map(recipient => recipient.address),
            ...readMessage(raw),
            raw
          })
          callback()
        }
        if (options.holdMs === undefined) accept()
        else setTimeout(accept, options.holdMs)
      })
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const { port } = server.server.address() as AddressInfo
  return { port, url: `smtp://127.0.0.1:${port}`, mails, receiving: () => receiving }
}

/**
 * Subject and text of a single-part plain-text message, as a mail client shows them: long
 * header lines are folded and long body lines encoded on the wire.
 */
function readMessage (raw: string): { subject: string, text: string } {
  const split = raw.indexOf('\r\n\r\n')
  const headers = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, '')
  const header = (name: string): string | undefined => new RegExp(`^${name}: *(.*)$`, 'mi').exec(headers)?.[1]
  const body = raw.slice(split + 4)
  const encoding = header('Content-Transfer-Encoding')?.toLowerCase()
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body
  return { subject: header('Subject') ?? '', text: text.replace(/\r\n/g, '\n') }
}

function decodeQuotedPrintable (encoded: string): string {
  const unwrapped = encoded.replace(/=\r\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < unwrapped.length; i++) {
    const escaped = unwrapped[i] === '=' ? /^[0-9A-F]{2}/i.exec(unwrapped.slice(i + 1, i + 3)) : null
    if (escaped !== null) {
      bytes.push(parseInt(escaped[0], 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(unwrapped[i]!, 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** A loopback port nothing listens on (until a test starts something there). */
export async function unusedPort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>(resolve => probe.close(() => resolve()))
  return port
}

export interface LogLine { level: number, msg: string, [key: string]: unknown }

/** A pino logger writing into memory. */
export function capturingLogger (): { log: pino.Logger, lines: () => LogLine[] } {
  const lines: string[] = []
  const log = pino({ level: 'info' }, new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } }))
  return { log, lines: () => lines.map(line => JSON.parse(line) as LogLine) }
}

export const WARN = 40
