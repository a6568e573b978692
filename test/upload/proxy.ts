import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Test } from 'tap'

/** What the proxy does with one upload attempt. */
export type ProxyAction =
  | { kind: 'forward', delayMs?: number }
  | { kind: 'respond', status: number, headers?: Record<string, string>, body?: string }
  /** Never answer (the service never sees it). */
  | { kind: 'hold' }
  /** Cut the connection without forwarding. */
  | { kind: 'reset' }

export interface TestProxy {
  /** The proxy's URL for a path of the service. */
  url: (path: string) => string
  /** Upload attempts seen so far (POSTs to …/bulkUpload). */
  attempts: number
  held: number
  /** Decides each upload attempt (numbered from 1); other requests are forwarded. */
  policy: (attempt: number) => ProxyAction
  /** Cuts the connections of held requests. */
  dropHeld: () => void
}

/**
 * A small HTTP proxy in front of the real service, to play the network and a throttling
 * service: it can answer in the service's place (429 storms), hold requests, cut them or
 * delay them. Everything it forwards is handled by the real service.
 */
export async function startProxy (t: Test, target: string): Promise<TestProxy> {
  const heldSockets = new Set<Socket>()
  const proxy: TestProxy = {
    url: path => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    attempts: 0,
    held: 0,
    policy: () => ({ kind: 'forward' }),
    dropHeld: () => { for (const socket of heldSockets) socket.destroy(); heldSockets.clear() }
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', chunk => chunks.push(chunk as Buffer))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const action: ProxyAction = req.method === 'POST' && req.url?.endsWith('/bulkUpload') === true ? proxy.policy(++proxy.attempts) : { kind: 'forward' }
      switch (action.kind) {
        case 'respond':
          res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers }).end(action.body ?? '')
          return
        case 'hold':
          proxy.held++
          heldSockets.add(req.socket)
          return
        case 'reset':
          req.socket.destroy()
          return
        case 'forward':
          setTimeout(() => forward(target, req, body, res), action.delayMs ?? 0)
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    proxy.dropHeld()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return proxy
}

function forward (target: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', target)
  const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, 'content-length': String(body.length) } }, answer => {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(res)
  })
  upstream.on('error', () => res.destroy())
  upstream.end(body)
}
