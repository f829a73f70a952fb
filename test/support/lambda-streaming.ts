import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { createLambdaContext, toLambdaEvent } from '../../src/dev-server/lambda-event.js'
import type { EventShape } from '../../src/event.js'

/**
 * A stand-in for the Lambda runtime's response streaming, as Middy uses it: `awslambda.streamifyResponse(fn)` and
 * `awslambda.HttpResponseStream.from(stream, prelude)`. Like the runtime, `from` writes the prelude as JSON followed
 * by eight NUL bytes before the body, and the content type of the invoke response is the HTTP-integration one.
 */
const preludeDelimiter = Buffer.alloc(8)
export const httpIntegrationContentType = 'application/vnd.awslambda.http-integration-response'

interface ResponseStream extends Writable {
  setContentType(type: string): void
  contentType?: string
}

export function installAwsLambdaGlobal(): void {
  ;(globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: (handler: (event: unknown, stream: ResponseStream, context: unknown) => Promise<void>) => handler,
    HttpResponseStream: {
      from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
        stream.setContentType(httpIntegrationContentType)
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude)), preludeDelimiter]))
        return stream
      },
    },
  }
}

type StreamingHandler = (event: unknown, stream: ResponseStream, context: unknown) => Promise<void>

export interface StreamingGateway {
  baseUrl: string
  close(): Promise<void>
}

/**
 * A Function URL in RESPONSE_STREAM mode: the prelude becomes the HTTP status and headers, and every chunk the
 * function writes is forwarded at once.
 */
export async function startStreamingGateway(handler: StreamingHandler, shape: EventShape = 'url'): Promise<StreamingGateway> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers: [string, string][] = []
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
    const event = toLambdaEvent({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks) }, shape)

    let pending = Buffer.alloc(0)
    let headWritten = false
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (headWritten) {
          res.write(chunk, () => callback())
          return
        }
        pending = Buffer.concat([pending, chunk])
        const end = pending.indexOf(preludeDelimiter)
        if (end === -1) return callback()
        const prelude = JSON.parse(pending.subarray(0, end).toString()) as { statusCode: number; headers?: Record<string, string> }
        res.writeHead(prelude.statusCode, prelude.headers ?? {})
        res.flushHeaders()
        headWritten = true
        const rest = pending.subarray(end + preludeDelimiter.length)
        if (rest.byteLength > 0) res.write(rest, () => callback())
        else callback()
      },
      final(callback) {
        res.end(() => callback())
      },
    }) as ResponseStream
    stream.setContentType = (type) => {
      stream.contentType = type
    }
    try {
      await handler(event, stream, createLambdaContext(30_000))
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`function error: ${(error as Error).message}`)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
