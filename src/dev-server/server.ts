import { randomBytes, randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import {
  createServer as createHttp2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import type { Context } from 'aws-lambda'
import type { EventShape } from '../event.js'
import { describeProtocol, describeStatus, dumpMessage, findRpcStatus, mediaType } from './inspect.js'
import {
  checkLambdaResult,
  createLambdaContext,
  functionErrorResponse,
  toLambdaEvent,
  type IncomingHttpRequest,
  type OutgoingHttpResponse,
} from './lambda-event.js'

/** A Lambda handler: async (Middy), or callback style. */
export type LambdaHandler = (event: any, context: Context, callback: (error?: unknown, result?: unknown) => void) => unknown

export interface DevServerOptions {
  handler: LambdaHandler
  /** The front door to imitate. Default `v2` (HTTP API). */
  eventShape?: EventShape
  /** Default 0: any free port. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it, and a longer call fails. Default 30000. */
  timeoutMs?: number
  /** Answer CORS preflights and add CORS headers to responses, as an HTTP API with CORS configured does. */
  cors?: boolean
  /** Dump request and response headers and frames. */
  verbose?: boolean
  /** Receives one line per call, warnings and dumps. Default: stderr; `false` for none. */
  logger?: ((line: string) => void) | false
  /** `context.functionName`. Default `middy-grpc-local`. */
  functionName?: string
}

export interface DevServer {
  /** `http://host:port`. */
  url: string
  port: number
  /** Stops accepting connections, lets calls in flight finish (at most `graceMs`, default 3000), then resolves. */
  close(graceMs?: number): Promise<void>
}

/** The largest invoke payload, request and response (Lambda's 6 MB), and ALB's 1 MB limit on the response JSON. */
const lambdaPayloadMaxBytes = 6 * 1024 * 1024
const albMaxBytes = 1024 * 1024

const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')
/** Headers HTTP/2 forbids; the rest pass through. */
const connectionHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host'])
/** Always trailers in a gRPC response with a body. */
const grpcStatusFields = ['grpc-status', 'grpc-message', 'grpc-status-details-bin']
const corsExposed = ['grpc-status', 'grpc-message', 'grpc-status-details-bin', 'grpc-encoding', 'grpc-accept-encoding']
const corsSafelisted = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma'])

interface Reply extends OutgoingHttpResponse {
  trailers: [string, string][]
}

/**
 * A local front door for a Lambda handler: one port serving HTTP/1.1 and HTTP/2 cleartext (prior knowledge), each
 * request turned into a Lambda event of `eventShape`, the result validated as AWS would and written back. For
 * `application/grpc` replies over HTTP/2 the fields named by the `trailer` header (and the gRPC status) become real
 * HTTP/2 trailers, so native gRPC clients work.
 */
export async function createDevServer(options: DevServerOptions): Promise<DevServer> {
  const {
    handler,
    eventShape = 'v2',
    port = 0,
    host = '127.0.0.1',
    timeoutMs = 30_000,
    cors = false,
    verbose = false,
    functionName = 'middy-grpc-local',
  } = options
  if (typeof handler !== 'function') throw new TypeError('createDevServer: handler must be a function')
  const log = options.logger === false ? () => undefined : (options.logger ?? ((line: string) => process.stderr.write(`${line}\n`)))
  const sockets = new Set<Socket>()
  const sessions = new Set<ServerHttp2Session>()
  /** HTTP/1.1 sockets with a request in flight. */
  const busy = new Map<Socket, number>()
  let closing = false

  async function invoke(request: IncomingHttpRequest, transport: 'HTTP/1.1' | 'HTTP/2'): Promise<Reply> {
    const started = performance.now()
    const contentType = headerValue(request.headers, 'content-type')
    const path = request.url
    const protocol = describeProtocol(request.method, path, contentType)
    const notes: string[] = []
    let detail = ''
    let reply: Reply

    if (cors && isPreflight(request)) {
      reply = { ...preflightResponse(request), trailers: [] }
      detail = ' (CORS preflight answered by the dev server)'
    } else {
      const requestId = randomUUID()
      const event = toLambdaEvent(withForwardedHeaders(request), eventShape, {
        protocol: transport === 'HTTP/2' ? 'HTTP/2.0' : 'HTTP/1.1',
        requestId,
      })
      const eventBytes = Buffer.byteLength(JSON.stringify(event))
      if (eventBytes > lambdaPayloadMaxBytes) {
        notes.push(`the event is ${eventBytes} bytes: Lambda rejects invoke payloads over 6 MB (413 Request Entity Too Large)`)
      }
      if ((eventShape === 'alb' || eventShape === 'alb-multi') && request.body.byteLength > albMaxBytes) {
        notes.push(`the request body is ${request.body.byteLength} bytes: ALB rejects Lambda request bodies over 1 MB`)
      }
      if (verbose) for (const line of dumpMessage('>', protocol, contentType ?? '', request.headers, request.body)) notes.push(line)
      const outcome = await runHandler(handler, event, createLambdaContext(timeoutMs, functionName), timeoutMs)
      let response: OutgoingHttpResponse
      if ('error' in outcome) {
        response = functionErrorResponse(eventShape)
        detail = ` (${outcome.error})`
        if (outcome.stack !== undefined) notes.push(outcome.stack)
      } else {
        const checked = checkLambdaResult(outcome.result, eventShape)
        if (checked.ok) {
          response = checked.response
          notes.push(...checked.notes)
          const resultBytes = Buffer.byteLength(JSON.stringify(outcome.result) ?? '')
          if (resultBytes > lambdaPayloadMaxBytes) {
            notes.push(`the result is ${resultBytes} bytes: Lambda fails responses over 6 MB, the client would get a 502`)
          } else if ((eventShape === 'alb' || eventShape === 'alb-multi') && resultBytes > albMaxBytes) {
            notes.push(`the result is ${resultBytes} bytes: ALB answers 502 to Lambda responses over 1 MB`)
          }
        } else {
          response = functionErrorResponse(eventShape)
          detail = ` (malformed Lambda result: ${checked.reason})`
        }
      }
      reply = { ...response, trailers: [] }
    }

    if (cors) addCorsHeaders(reply, request)
    if (transport === 'HTTP/2' && isGrpcResponse(reply.headers)) moveToTrailers(reply)
    const rpcStatus = findRpcStatus(protocol, [...reply.headers, ...reply.trailers], reply.body)
    if (verbose) {
      const replyType = headerValue(reply.headers, 'content-type') ?? ''
      notes.push(...dumpMessage('<', protocol, replyType, reply.headers, reply.body, reply.trailers))
    }
    const duration = (performance.now() - started).toFixed(1)
    log(`${request.method} ${path} ${protocol} ${transport} → ${describeStatus(reply.status, rpcStatus)}${detail} ${duration} ms`)
    for (const note of notes) log(note.startsWith('  ') ? note : `  ! ${note}`)
    return reply
  }

  async function serveHttp1(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    res.on('close', () => {
      const count = (busy.get(socket) ?? 1) - 1
      if (count <= 0) busy.delete(socket)
      else busy.set(socket, count)
      if (closing && count <= 0) socket.destroySoon()
    })
    try {
      const body = await readBody(req)
      const headers: [string, string][] = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
      const reply = await invoke({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body, remoteAddress: socket.remoteAddress }, 'HTTP/1.1')
      const out: string[] = []
      for (const [name, value] of reply.headers) {
        const key = name.toLowerCase()
        if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue
        out.push(name, value)
      }
      out.push('content-length', String(reply.body.byteLength))
      if (closing) out.push('connection', 'close')
      res.writeHead(reply.status, out)
      res.end(reply.body)
    } catch (error) {
      log(`${req.method} ${req.url} failed in the dev server: ${(error as Error).stack ?? String(error)}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('dev server error')
    }
  }

  async function serveHttp2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: unknown): Promise<void> {
    stream.on('error', () => undefined)
    try {
      const body = await readBody(stream)
      const pairs = http2HeaderPairs(headers, rawHeaders)
      const method = String(headers[':method'] ?? 'GET')
      const url = String(headers[':path'] ?? '/')
      const reply = await invoke({ method, url, headers: pairs, body, remoteAddress: stream.session?.socket?.remoteAddress }, 'HTTP/2')
      if (stream.destroyed || stream.closed) return
      const out: OutgoingHttpHeaders = { ':status': reply.status }
      for (const [name, value] of reply.headers) appendHttp2Header(out, name, value)
      const trailers: OutgoingHttpHeaders = {}
      for (const [name, value] of reply.trailers) appendHttp2Header(trailers, name, value)
      const hasBody = reply.body.byteLength > 0 && method !== 'HEAD'
      if (!hasBody && reply.trailers.length === 0) {
        stream.respond(out, { endStream: true })
        return
      }
      if (reply.trailers.length > 0) {
        stream.once('wantTrailers', () => stream.sendTrailers(trailers))
        stream.respond(out, { waitForTrailers: true })
      } else {
        stream.respond(out)
      }
      stream.end(hasBody ? reply.body : undefined)
    } catch (error) {
      log(`${String(headers[':method'])} ${String(headers[':path'])} failed in the dev server: ${(error as Error).stack ?? String(error)}`)
      if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': 500, 'content-type': 'text/plain' })
      if (!stream.destroyed) stream.end('dev server error')
    }
  }

  const http1 = createHttpServer({ keepAliveTimeout: 5000 }, (req, res) => void serveHttp1(req, res))
  http1.on('clientError', (_error, socket) => socket.destroy())
  const http2 = createHttp2Server()
  http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: unknown) =>
    void serveHttp2(stream, headers, rawHeaders),
  )
  http2.on('session', (session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
    session.on('error', () => undefined)
    if (closing) session.close()
  })
  http2.on('sessionError', () => undefined)

  // One port for both: HTTP/2 with prior knowledge starts with its connection preface, HTTP/1.1 with a method.
  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let sniffed: Buffer = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      sniffed = sniffed.byteLength === 0 ? chunk : Buffer.concat([sniffed, chunk])
      const length = Math.min(sniffed.byteLength, http2Preface.byteLength)
      const isHttp2 = sniffed.subarray(0, length).equals(http2Preface.subarray(0, length))
      if (isHttp2 && length < http2Preface.byteLength) return
      socket.off('data', onData)
      if (isHttp2) {
        // The HTTP/2 session reads what is already buffered on the socket before it takes the handle over.
        socket.pause()
        socket.unshift(sniffed)
        http2.emit('connection', socket)
      } else {
        // The HTTP/1.1 parser may read the socket's handle directly: hand it the bytes read so far as a data event.
        http1.emit('connection', socket)
        socket.emit('data', sniffed)
      }
    }
    socket.on('data', onData)
  })
  server.on('error', (error) => log(`dev server error: ${error.message}`))

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address

  let closed: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close(graceMs = 3000) {
      closed ??= new Promise<void>((resolve) => {
        closing = true
        const force = setTimeout(() => {
          for (const socket of sockets) socket.destroy()
        }, graceMs)
        force.unref()
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        for (const session of sessions) session.close()
        for (const socket of sockets) {
          // Idle HTTP/1.1 connections and connections still being sniffed go now; busy ones after their response.
          if (!busy.has(socket) && !isHttp2Socket(socket, sessions)) socket.destroy()
        }
        http1.close()
        http2.close()
      })
      return closed
    },
  }
}

function isHttp2Socket(socket: Socket, sessions: Set<ServerHttp2Session>): boolean {
  for (const session of sessions) if ((session.socket as unknown) === socket) return true
  return false
}

type Outcome = { result: unknown } | { error: string; stack?: string }

/** Runs the handler as the Lambda runtime would: a returned promise, or the callback; fails after `timeoutMs`. */
function runHandler(handler: LambdaHandler, event: unknown, context: Context, timeoutMs: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false
    const settle = (outcome: Outcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const fail = (error: unknown): void =>
      settle({
        error: `the handler threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        stack: error instanceof Error ? error.stack : undefined,
      })
    const timer = setTimeout(() => settle({ error: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }), timeoutMs)
    try {
      const callback = (error?: unknown, result?: unknown): void => (error ? fail(error) : settle({ result }))
      const returned = handler(event, context, callback)
      if (isThenable(returned)) returned.then((result) => settle({ result }), fail)
      // A non-async handler of fewer than three parameters that returns a value: take the value.
      else if (handler.length < 3) settle({ result: returned })
    } catch (error) {
      fail(error)
    }
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

async function readBody(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function headerValue(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value
  return undefined
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

function appendHttp2Header(target: OutgoingHttpHeaders, name: string, value: string): void {
  const key = name.toLowerCase()
  if (connectionHeaders.has(key) || key.startsWith(':')) return
  const existing = target[key]
  if (existing === undefined) target[key] = value
  else if (key === 'set-cookie') target[key] = [...(Array.isArray(existing) ? existing : [String(existing)]), value]
  else target[key] = `${String(existing)}, ${value}`
}

/** Adds what API Gateway and ALB add to every request, unless the client sent them. */
function withForwardedHeaders(request: IncomingHttpRequest): IncomingHttpRequest {
  const present = new Set(request.headers.map(([name]) => name.toLowerCase()))
  const added: [string, string][] = []
  const address = (request.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  if (!present.has('x-forwarded-for')) added.push(['X-Forwarded-For', address])
  if (!present.has('x-forwarded-proto')) added.push(['X-Forwarded-Proto', 'http'])
  if (!present.has('x-amzn-trace-id')) {
    const epoch = Math.floor(Date.now() / 1000).toString(16)
    added.push(['X-Amzn-Trace-Id', `Root=1-${epoch}-${randomBytes(12).toString('hex')}`])
  }
  return added.length === 0 ? request : { ...request, headers: [...request.headers, ...added] }
}

function isGrpcResponse(headers: readonly (readonly [string, string])[]): boolean {
  const type = mediaType(headerValue(headers, 'content-type'))
  return type === 'application/grpc' || type.startsWith('application/grpc+')
}

/**
 * The `trailer` response-header convention of src/protocol/grpc.ts: the headers it names (and the gRPC status
 * fields) leave as HTTP/2 trailers. A Trailers-Only response (empty body) keeps everything in its headers.
 */
function moveToTrailers(reply: Reply): void {
  const named = new Set(grpcStatusFields)
  for (const [name, value] of reply.headers) {
    if (name.toLowerCase() !== 'trailer') continue
    for (const item of value.split(',')) if (item.trim() !== '') named.add(item.trim().toLowerCase())
  }
  const headers: [string, string][] = []
  for (const [name, value] of reply.headers) {
    const key = name.toLowerCase()
    if (key === 'trailer') continue
    if (reply.body.byteLength > 0 && named.has(key)) reply.trailers.push([key, value])
    else headers.push([name, value])
  }
  reply.headers = headers
}

function isPreflight(request: IncomingHttpRequest): boolean {
  return (
    request.method === 'OPTIONS' &&
    headerValue(request.headers, 'origin') !== undefined &&
    headerValue(request.headers, 'access-control-request-method') !== undefined
  )
}

function preflightResponse(request: IncomingHttpRequest): OutgoingHttpResponse {
  const requested = headerValue(request.headers, 'access-control-request-headers')
  return {
    status: 204,
    headers: [
      ['access-control-allow-origin', headerValue(request.headers, 'origin') ?? '*'],
      ['access-control-allow-methods', 'GET, POST, OPTIONS'],
      ['access-control-allow-headers', requested !== undefined && requested.trim() !== '' ? requested : '*'],
      ['access-control-max-age', '7200'],
      ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
    ],
    body: Buffer.alloc(0),
  }
}

/** CORS headers on a response, unless the handler set its own (e.g. with @middy/http-cors). */
function addCorsHeaders(reply: Reply, request: IncomingHttpRequest): void {
  const origin = headerValue(request.headers, 'origin')
  if (origin === undefined || headerValue(reply.headers, 'access-control-allow-origin') !== undefined) return
  const exposed = new Set(corsExposed)
  for (const [name] of reply.headers) {
    const key = name.toLowerCase()
    if (!corsSafelisted.has(key) && !key.startsWith('access-control-')) exposed.add(key)
  }
  reply.headers.push(['access-control-allow-origin', origin], ['access-control-expose-headers', [...exposed].join(', ')], ['vary', 'Origin'])
}
