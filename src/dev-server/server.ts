import { randomBytes, randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import {
  constants as http2Constants,
  createServer as createHttp2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import type { Context } from 'aws-lambda'
import { encodeEnvelope } from '../envelope.js'
import type { EventShape } from '../event/shape.js'
import { mediaType } from '../protocol/detect.js'
import { describeProtocol, describeStatus, dumpMessage, findRpcStatus } from './inspect.js'
import {
  checkLambdaResult,
  createLambdaContext,
  functionErrorResponse,
  toLambdaEvent,
  type IncomingHttpRequest,
  type OutgoingHttpResponse,
} from './lambda-event.js'
import { parseTrailerBlock } from '../protocol/trailer.js'
import { createResponseStream, isStreamingHandler, type StreamTarget } from './streaming.js'

/** A Lambda handler: async (Middy), or callback style. */
export type LambdaHandler = (
  // biome-ignore lint/suspicious/noExplicitAny: a Lambda handler takes whatever event its trigger sends
  event: any,
  context: Context,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown

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
  /**
   * Invoke the handler with Lambda response streaming, `(event, responseStream, context)`. Default: whether it was
   * wrapped by the `awslambda.streamifyResponse` of `installAwsLambdaGlobal()` (the CLI installs it).
   */
  streaming?: boolean
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
const connectionHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
])
/** Always trailers in a gRPC response with a body. */
const grpcStatusFields = ['grpc-status', 'grpc-message', 'grpc-status-details-bin']
const corsExposed = ['grpc-status', 'grpc-message', 'grpc-status-details-bin', 'grpc-encoding', 'grpc-accept-encoding']
const corsSafelisted = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
])

interface Reply extends OutgoingHttpResponse {
  trailers: [string, string][]
}

type Transport = 'HTTP/1.1' | 'HTTP/2'

/** A buffered reply: headers (with the length), body, trailers; headers alone when there is neither. */
function sendReply(target: StreamTarget, reply: Reply): void {
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

/** The error of a Connect end-stream frame, for the log line. */
function connectEndStatus(data: Uint8Array): { code: string; message?: string } | undefined {
  try {
    const end = JSON.parse(Buffer.from(data).toString('utf8')) as { error?: { code?: unknown; message?: unknown } }
    if (typeof end.error?.code !== 'string') return undefined
    return { code: end.error.code, message: typeof end.error.message === 'string' ? end.error.message : undefined }
  } catch {
    return undefined
  }
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
  const log =
    options.logger === false
      ? () => undefined
      : (options.logger ?? ((line: string) => process.stderr.write(`${line}\n`)))
  const sockets = new Set<Socket>()
  const sessions = new Set<ServerHttp2Session>()
  /** HTTP/1.1 sockets with a request in flight. */
  const busy = new Map<Socket, number>()
  let closing = false

  const streaming = options.streaming ?? isStreamingHandler(handler)

  /** One call: preflight, event, handler, validation, then the reply goes to `target`; one log line at the end. */
  async function invoke(request: IncomingHttpRequest, transport: Transport, target: StreamTarget): Promise<void> {
    const started = performance.now()
    const contentType = headerValue(request.headers, 'content-type')
    const path = request.url
    const protocol = describeProtocol(request.method, path, contentType)
    const notes: string[] = []
    const finish = (status: string, detail = ''): void => {
      const duration = (performance.now() - started).toFixed(1)
      log(`${request.method} ${path} ${protocol} ${transport} → ${status}${detail} ${duration} ms`)
      for (const note of notes) log(note.startsWith('  ') ? note : `  ! ${note}`)
    }

    if (cors && isPreflight(request)) {
      const reply: Reply = { ...preflightResponse(request), trailers: [] }
      sendReply(target, reply)
      finish(describeStatus(reply.status, undefined), ' (CORS preflight answered by the dev server)')
      return
    }

    const event = toLambdaEvent(withForwardedHeaders(request), eventShape, {
      protocol: transport === 'HTTP/2' ? 'HTTP/2.0' : 'HTTP/1.1',
      requestId: randomUUID(),
    })
    const eventBytes = Buffer.byteLength(JSON.stringify(event))
    if (eventBytes > lambdaPayloadMaxBytes) {
      notes.push(
        `the event is ${eventBytes} bytes: Lambda rejects invoke payloads over 6 MB (413 Request Entity Too Large)`,
      )
    }
    if ((eventShape === 'alb' || eventShape === 'alb-multi') && request.body.byteLength > albMaxBytes) {
      notes.push(`the request body is ${request.body.byteLength} bytes: ALB rejects Lambda request bodies over 1 MB`)
    }
    if (verbose) notes.push(...dumpMessage('>', protocol, contentType ?? '', request.headers, request.body))
    const context = createLambdaContext(timeoutMs, functionName)

    if (streaming) {
      await invokeStreaming(request, transport, target, event, context, protocol, notes, finish)
      return
    }

    const outcome = await runHandler((callback) => handler(event, context, callback), handler.length, timeoutMs)
    let response: OutgoingHttpResponse
    let detail = ''
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
    const reply: Reply = { ...response, trailers: [] }
    if (cors) addCorsHeaders(reply.headers, request)
    if (transport === 'HTTP/2' && isGrpcResponse(reply.headers)) moveToTrailers(reply)
    if (request.method === 'HEAD') reply.body = Buffer.alloc(0)
    sendReply(target, reply)
    if (verbose)
      notes.push(
        ...dumpMessage(
          '<',
          protocol,
          headerValue(reply.headers, 'content-type') ?? '',
          reply.headers,
          reply.body,
          reply.trailers,
        ),
      )
    finish(
      describeStatus(reply.status, findRpcStatus(protocol, [...reply.headers, ...reply.trailers], reply.body)),
      detail,
    )
  }

  /**
   * Lambda response streaming (a handler wrapped by `awslambda.streamifyResponse`): the prelude becomes the status
   * and headers, the body is forwarded as the handler writes it.
   */
  async function invokeStreaming(
    request: IncomingHttpRequest,
    transport: Transport,
    target: StreamTarget,
    event: unknown,
    context: Context,
    protocol: string,
    notes: string[],
    finish: (status: string, detail?: string) => void,
  ): Promise<void> {
    let frames = 0
    let trailerFrame: [string, string][] = []
    let connectError: { code: string; message?: string } | undefined
    const { stream, state } = createResponseStream(target, {
      grpcTrailers: (headers) => transport === 'HTTP/2' && isGrpcResponse(headers),
      decorateHeaders: (headers) => {
        if (cors) addCorsHeaders(headers, request)
        if (verbose) for (const [name, value] of headers) notes.push(`  < ${name}: ${value}`)
      },
      enveloped: (headers) => {
        const type = mediaType(headerValue(headers, 'content-type'))
        return (
          (type.startsWith('application/grpc') && !type.startsWith('application/grpc-web-text')) ||
          type.startsWith('application/connect+')
        )
      },
      observer: {
        frame(flags, data) {
          frames += 1
          if ((flags & 0x80) !== 0) trailerFrame = parseTrailerBlock(data)
          if ((flags & 0x02) !== 0) connectError = connectEndStatus(data)
          if (verbose)
            notes.push(
              ...dumpMessage('<', 'grpc', 'application/grpc', [], Buffer.from(encodeEnvelope(flags, data))).filter(
                (line) => line.includes('frame'),
              ),
            )
        },
      },
    })
    const outcome = await runHandler(
      async (callback) => {
        await handler(event, stream as never, context as never)
        if (!stream.writableEnded) stream.end()
        // Lambda ends the invocation when the stream has flushed.
        await new Promise<void>((resolve) =>
          stream.writableFinished ? resolve() : stream.once('finish', () => resolve()),
        )
        callback(null, undefined)
      },
      3,
      timeoutMs,
    )
    const rpc =
      connectError ?? findRpcStatus(protocol, [...state.headers, ...state.trailers, ...trailerFrame], Buffer.alloc(0))
    if ('error' in outcome) {
      stream.destroy()
      if (outcome.stack !== undefined) notes.push(outcome.stack)
      if (state.headersSent) {
        target.abort()
        finish(`stream aborted after ${frames} frames`, ` (${outcome.error})`)
      } else {
        sendReply(target, { ...functionErrorResponse(eventShape), trailers: [] })
        finish(describeStatus(functionErrorResponse(eventShape).status, undefined), ` (${outcome.error})`)
      }
      return
    }
    for (const [name, value] of state.trailers) if (verbose) notes.push(`  < trailer ${name}: ${value}`)
    finish(`${describeStatus(state.status ?? 200, rpc)}, streamed${frames > 0 ? ` ${frames} frames` : ''}`)
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
    const target: StreamTarget = {
      respond(status, headers, { end, contentLength }) {
        const out: string[] = []
        for (const [name, value] of headers) {
          const key = name.toLowerCase()
          if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue
          out.push(name, value)
        }
        if (contentLength !== undefined) out.push('content-length', String(contentLength))
        if (closing) out.push('connection', 'close')
        res.writeHead(status, out)
        if (end) res.end()
        // A streamed body: the headers go at once. A buffered one follows right away in the same packet.
        else if (contentLength === undefined) res.flushHeaders()
      },
      write: (chunk) => writeWithBackpressure(res, chunk),
      end: () => void res.end(),
      abort: () => void res.destroy(),
    }
    try {
      const body = await readBody(req)
      const headers: [string, string][] = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]])
      await invoke(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers, body, remoteAddress: socket.remoteAddress },
        'HTTP/1.1',
        target,
      )
    } catch (error) {
      log(`${req.method} ${req.url} failed in the dev server: ${(error as Error).stack ?? String(error)}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('dev server error')
    }
  }

  async function serveHttp2(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: unknown,
  ): Promise<void> {
    stream.on('error', () => undefined)
    const target: StreamTarget = {
      respond(status, replyHeaders, { end, trailers }) {
        if (stream.destroyed || stream.closed) return
        const out: OutgoingHttpHeaders = { ':status': status }
        for (const [name, value] of replyHeaders) appendHttp2Header(out, name, value)
        stream.respond(out, end ? { endStream: true } : trailers ? { waitForTrailers: true } : {})
      },
      write: (chunk) => writeWithBackpressure(stream, chunk),
      end(trailers) {
        if (stream.destroyed || stream.closed) return
        const fields: OutgoingHttpHeaders = {}
        for (const [name, value] of trailers) appendHttp2Header(fields, name, value)
        stream.once('wantTrailers', () => stream.sendTrailers(fields))
        stream.end()
      },
      abort: () => void stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR),
    }
    try {
      const body = await readBody(stream)
      const pairs = http2HeaderPairs(headers, rawHeaders)
      const method = String(headers[':method'] ?? 'GET')
      const url = String(headers[':path'] ?? '/')
      await invoke(
        { method, url, headers: pairs, body, remoteAddress: stream.session?.socket?.remoteAddress },
        'HTTP/2',
        target,
      )
    } catch (error) {
      log(
        `${String(headers[':method'])} ${String(headers[':path'])} failed in the dev server: ${(error as Error).stack ?? String(error)}`,
      )
      if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': 500, 'content-type': 'text/plain' })
      if (!stream.destroyed) stream.end('dev server error')
    }
  }

  const http1 = createHttpServer({ keepAliveTimeout: 5000 }, (req, res) => void serveHttp1(req, res))
  http1.on('clientError', (_error, socket) => socket.destroy())
  const http2 = createHttp2Server()
  http2.on(
    'stream',
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: unknown) =>
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

/**
 * Runs the handler as the Lambda runtime would: the result of a returned promise, or what it passes to the
 * callback; fails after `timeoutMs`. `call` invokes the handler with the callback; `arity` is the handler's length.
 */
function runHandler(
  call: (callback: (error?: unknown, result?: unknown) => void) => unknown,
  arity: number,
  timeoutMs: number,
): Promise<Outcome> {
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
    const timer = setTimeout(
      () => settle({ error: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }),
      timeoutMs,
    )
    try {
      const returned = call((error?: unknown, result?: unknown): void => (error ? fail(error) : settle({ result })))
      if (isThenable(returned)) returned.then((result) => settle({ result }), fail)
      // A non-async handler of fewer than three parameters that returns a value: take the value.
      else if (arity < 3) settle({ result: returned })
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

/** Hop-by-hop headers: a front door consumes them, the function never sees them. */
const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/** The request as the function sees it: hop-by-hop headers gone, what API Gateway and ALB add added. */
function withForwardedHeaders(request: IncomingHttpRequest): IncomingHttpRequest {
  const headers = request.headers.filter(([name]) => !hopByHopHeaders.has(name.toLowerCase()))
  const present = new Set(headers.map(([name]) => name.toLowerCase()))
  const added: [string, string][] = []
  const address = (request.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  if (!present.has('x-forwarded-for')) added.push(['X-Forwarded-For', address])
  if (!present.has('x-forwarded-proto')) added.push(['X-Forwarded-Proto', 'http'])
  if (!present.has('x-amzn-trace-id')) {
    const epoch = Math.floor(Date.now() / 1000).toString(16)
    added.push(['X-Amzn-Trace-Id', `Root=1-${epoch}-${randomBytes(12).toString('hex')}`])
  }
  return { ...request, headers: [...headers, ...added] }
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
function addCorsHeaders(headers: [string, string][], request: IncomingHttpRequest): void {
  const origin = headerValue(request.headers, 'origin')
  if (origin === undefined || headerValue(headers, 'access-control-allow-origin') !== undefined) return
  const exposed = new Set(corsExposed)
  for (const [name] of headers) {
    const key = name.toLowerCase()
    if (!corsSafelisted.has(key) && !key.startsWith('access-control-')) exposed.add(key)
  }
  headers.push(
    ['access-control-allow-origin', origin],
    ['access-control-expose-headers', [...exposed].join(', ')],
    ['vary', 'Origin'],
  )
}
