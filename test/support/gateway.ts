import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLambdaContext, fromLambdaResult, toLambdaEvent } from '../../src/dev-server/index.js'
import type { EventShape } from '../../src/event/shape.js'

export type LambdaFunction = (event: any, context: any) => Promise<unknown>

export interface Gateway {
  baseUrl: string
  /** The events the function received, newest last. */
  events: unknown[]
  close(): Promise<void>
}

/**
 * A minimal HTTP front door for tests: each request becomes a Lambda event of `shape`, the function's result becomes
 * the response. Listens on 127.0.0.1 only.
 */
export async function startGateway(
  handler: LambdaFunction,
  shape: EventShape,
  lambdaTimeoutMs = 30_000,
): Promise<Gateway> {
  const events: unknown[] = []
  const server: Server = createServer(async (req, res) => {
    try {
      const event = toLambdaEvent(await readRequest(req), shape)
      events.push(event)
      const { status, headers, body } = fromLambdaResult(
        await handler(event, createLambdaContext(lambdaTimeoutMs)),
        shape,
      )
      res.writeHead(status, headers.flat())
      res.end(body)
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`function error: ${(error as Error).message}`)
    }
  })
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    events,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function readRequest(req: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers: [string, string][] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks) }
}
