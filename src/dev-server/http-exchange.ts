import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  constants as http2Constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2'

export type HttpVersion = 'HTTP/1.1' | 'HTTP/2'

/** A request as it arrived, before its body is read. */
export interface RequestHead {
  method: string
  /** Path and query, as on the request line (`:path`). */
  url: string
  /** Raw header pairs, in order, names as sent; HTTP/2's `:authority` as `host`. */
  headers: [string, string][]
  remoteAddress: string | undefined
  httpVersion: HttpVersion
}

/** Where a response goes: an HTTP/1.1 response or an HTTP/2 stream. */
export interface StreamTarget {
  /**
   * Sends the status and headers, once: `end` for a response without body, `trailers` when trailers will follow,
   * `contentLength` when the body is known (buffered replies).
   */
  respond(
    status: number,
    headers: [string, string][],
    options: { end: boolean; trailers: boolean; contentLength?: number },
  ): void
  /** Resolves when the chunk may be followed by another (backpressure). */
  write(chunk: Uint8Array): Promise<void>
  end(trailers: [string, string][]): void
  abort(): void
  /**
   * Answers without reading the request body (a refused request): the status and a text body, then the connection
   * (HTTP/1.1) or the stream (HTTP/2, RST_STREAM NO_ERROR) is closed so that the client stops sending.
   */
  refuse(status: number, text: string): void
}

/** One request: its head, its body on demand (at most `requestMaxBytes`), and where its response goes. */
export interface HttpExchange {
  head: RequestHead
  readBody(): Promise<Buffer>
  /** The request body as it arrives, for the dev server's own streaming methods (readBody buffers it instead). */
  body: NodeJS.ReadableStream
  target: StreamTarget
}

/** The request body is larger than `requestMaxBytes` (declared by content-length, or counted while it streamed). */
export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError'

  constructor(
    readonly requestMaxBytes: number,
    readonly declaredBytes?: number,
  ) {
    super(
      declaredBytes === undefined
        ? `the request body is larger than ${requestMaxBytes} bytes`
        : `the request body declares ${declaredBytes} bytes, more than ${requestMaxBytes}`,
    )
  }
}

/** A buffered reply: headers (with the length), body, trailers; headers alone when there is neither. */
export function sendReply(
  target: StreamTarget,
  reply: { status: number; headers: [string, string][]; body: Uint8Array; trailers: [string, string][] },
): void {
  const end = reply.body.byteLength === 0 && reply.trailers.length === 0
  target.respond(reply.status, reply.headers, {
    end,
    trailers: reply.trailers.length > 0,
    contentLength: reply.body.byteLength,
  })
  if (end) return
  if (reply.body.byteLength > 0) void target.write(reply.body)
  target.end(reply.trailers)
}

/** The exchange of an HTTP/1.1 request. `closing` adds `connection: close` to responses sent once it is true. */
export function http1Exchange(
  req: IncomingMessage,
  res: ServerResponse,
  requestMaxBytes: number,
  closing: () => boolean,
): HttpExchange {
  const headers: [string, string][] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
  const target: StreamTarget = {
    respond(status, replyHeaders, { end, contentLength }) {
      const out: string[] = []
      for (const [name, value] of replyHeaders) {
        const key = name.toLowerCase()
        if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue
        out.push(name, value)
      }
      if (contentLength !== undefined) out.push('content-length', String(contentLength))
      if (closing()) out.push('connection', 'close')
      res.writeHead(status, out)
      if (end) res.end()
      // A streamed body: the headers go at once. A buffered one follows right away in the same packet.
      else if (contentLength === undefined) res.flushHeaders()
    },
    write: (chunk) => writeWithBackpressure(res, chunk),
    end: () => void res.end(),
    abort: () => void res.destroy(),
    refuse(status, text) {
      if (res.headersSent) return void res.destroy()
      // `connection: close`: Node closes the socket once the response is out instead of reading the rest.
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end(`${text}\n`)
    },
  }
  return {
    head: {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers,
      remoteAddress: req.socket.remoteAddress,
      httpVersion: 'HTTP/1.1',
    },
    readBody: () => readBody(req, req.headers['content-length'], requestMaxBytes),
    body: req,
    target,
  }
}

/** The exchange of an HTTP/2 stream. */
export function http2Exchange(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: unknown,
  requestMaxBytes: number,
): HttpExchange {
  stream.on('error', () => undefined)
  const open = (): boolean => !stream.destroyed && !stream.closed
  const target: StreamTarget = {
    respond(status, replyHeaders, { end, trailers }) {
      if (!open()) return
      const out: OutgoingHttpHeaders = { ':status': status }
      for (const [name, value] of replyHeaders) appendHttp2Header(out, name, value)
      stream.respond(out, end ? { endStream: true } : trailers ? { waitForTrailers: true } : {})
    },
    write: (chunk) => writeWithBackpressure(stream, chunk),
    end(trailers) {
      if (!open()) return
      const fields: OutgoingHttpHeaders = {}
      for (const [name, value] of trailers) appendHttp2Header(fields, name, value)
      stream.once('wantTrailers', () => stream.sendTrailers(fields))
      stream.end()
    },
    abort: () => void stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR),
    refuse(status, text) {
      if (!open()) return
      if (stream.headersSent) return void stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR)
      stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' })
      stream.end(`${text}\n`, () => stream.close(http2Constants.NGHTTP2_NO_ERROR))
    },
  }
  return {
    head: {
      method: String(headers[':method'] ?? 'GET'),
      url: String(headers[':path'] ?? '/'),
      headers: http2HeaderPairs(headers, rawHeaders),
      remoteAddress: stream.session?.socket?.remoteAddress,
      httpVersion: 'HTTP/2',
    },
    readBody: () => readBody(stream, headers['content-length'], requestMaxBytes),
    body: stream,
    target,
  }
}

/** The whole body, refused before it is buffered when content-length or the bytes counted so far pass the limit. */
function readBody(
  stream: NodeJS.ReadableStream,
  contentLength: string | undefined,
  requestMaxBytes: number,
): Promise<Buffer> {
  const declared = contentLength === undefined ? undefined : Number(contentLength)
  if (declared !== undefined && declared > requestMaxBytes)
    return Promise.reject(new RequestTooLargeError(requestMaxBytes, declared))
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const onData = (chunk: Buffer): void => {
      received += chunk.byteLength
      if (received <= requestMaxBytes) return void chunks.push(chunk)
      // Stop reading, keep the stream: the 413 goes out on it.
      stream.off('data', onData)
      stream.pause()
      reject(new RequestTooLargeError(requestMaxBytes))
    }
    stream.on('data', onData)
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
    stream.once('close', () => reject(new Error('the client closed the request before the end of its body')))
  })
}

function writeWithBackpressure(
  stream: NodeJS.WritableStream & { destroyed: boolean },
  chunk: Uint8Array,
): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise<void>((resolve) => {
    if (stream.write(chunk)) return resolve()
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

/** Request headers from an HTTP/2 stream: pseudo-headers dropped, `:authority` as `host`, cookie crumbs joined. */
function http2HeaderPairs(headers: IncomingHttpHeaders, rawHeaders: unknown): [string, string][] {
  const pairs: [string, string][] = []
  const authority = headers[':authority']
  if (typeof authority === 'string' && headers.host === undefined) pairs.push(['host', authority])
  if (Array.isArray(rawHeaders)) {
    const cookies: string[] = []
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = String(rawHeaders[i])
      if (name.startsWith(':')) continue
      if (name.toLowerCase() === 'cookie') cookies.push(String(rawHeaders[i + 1]))
      else pairs.push([name, String(rawHeaders[i + 1])])
    }
    if (cookies.length > 0) pairs.push(['cookie', cookies.join('; ')])
    return pairs
  }
  for (const name of Object.keys(headers)) {
    if (name.startsWith(':')) continue
    const value = headers[name]
    if (Array.isArray(value)) for (const item of value) pairs.push([name, item])
    else if (value !== undefined) pairs.push([name, String(value)])
  }
  return pairs
}

/** Headers HTTP/2 forbids; the rest pass through. */
const connectionHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
])

function appendHttp2Header(target: OutgoingHttpHeaders, name: string, value: string): void {
  const key = name.toLowerCase()
  if (connectionHeaders.has(key) || key.startsWith(':')) return
  const existing = target[key]
  if (existing === undefined) target[key] = value
  else if (key === 'set-cookie') target[key] = [...(Array.isArray(existing) ? existing : [String(existing)]), value]
  else target[key] = `${String(existing)}, ${value}`
}

/** The value of a header (first of that name, any case). */
export function headerValue(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value
  return undefined
}
