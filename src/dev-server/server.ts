import type { EventShape } from '../event/shape.js'
import { CallLog } from './call-log.js'
import { addCorsHeaders, corsLocalOrigins, isAllowedOrigin, isPreflight, preflightHeaders } from './cors.js'
import { requestMaxBytesDefault } from './front-door.js'
import { createHostCheck } from './host-check.js'
import { type HttpExchange, RequestTooLargeError, headerValue, sendReply } from './http-exchange.js'
import { describeStatus } from './inspect.js'
import { invokeLambda } from './invoke.js'
import type { LambdaHandler } from './lambda-runtime.js'
import { isStreamingHandler } from './streaming.js'
import { listen } from './transport.js'
import { type LocalServices, serveLocalCall } from './local-services.js'

export interface DevServerOptions {
  handler: LambdaHandler
  /** The front door to imitate. Default `v2` (HTTP API). */
  eventShape?: EventShape
  /** Default 0: any free port. */
  port?: number
  /**
   * Default `127.0.0.1`. Requests are answered only when their `Host` is a loopback name or address, this host, or
   * (when this is `0.0.0.0` or `::`) any IP address: others get 403 (DNS rebinding).
   */
  host?: string
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it, and a longer call fails. Default 30000. */
  timeoutMs?: number
  /**
   * Answer CORS preflights and add CORS headers to responses, as an HTTP API with CORS configured does, for the
   * origins listed (`http://localhost:5173`; `http://localhost:*` for any port); `true` for `http://localhost:*` and
   * `http://127.0.0.1:*`. Other origins get no CORS headers. Default: no CORS.
   */
  cors?: boolean | readonly string[]
  /** Dump request and response headers and frames; `authorization`, `cookie`, `set-cookie` and `-bin` values redacted. */
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
  /**
   * Largest request body in bytes; a larger one is answered 413 before it is buffered (from its content-length, or
   * as soon as the bytes received pass the limit). Default 10 MiB + 64 KiB, a little over API Gateway's 10 MB.
   */
  requestMaxBytes?: number
  /**
   * How long a new connection may take to send its first request head (HTTP/1.1) or its HTTP/2 preface, and an
   * HTTP/1.1 request head once begun; then it is closed (HTTP/1.1 with a 408). Default 10000.
   */
  headersTimeoutMs?: number
  /** How long a connection with no request in flight stays open (HTTP/1.1 keep-alive, h2c session). Default 60000. */
  idleTimeoutMs?: number
  /** gRPC methods the dev server answers itself over HTTP/2, such as `createReflectionServices`' reflection and health. */
  localServices?: LocalServices
}

export interface DevServer {
  /** `http://host:port`. */
  url: string
  port: number
  /** Stops accepting connections, lets calls in flight finish (at most `graceMs`, default 3000), then resolves. */
  close(graceMs?: number): Promise<void>
}

/**
 * A local front door for a Lambda handler: one port serving HTTP/1.1 and HTTP/2 cleartext (prior knowledge), each
 * request turned into a Lambda event of `eventShape`, the result validated as AWS would and written back. For
 * `application/grpc` replies over HTTP/2 the gRPC status and trailers become real HTTP/2 trailers, so native gRPC
 * clients work.
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
    requestMaxBytes = requestMaxBytesDefault,
    headersTimeoutMs = 10_000,
    idleTimeoutMs = 60_000,
  } = options
  if (typeof handler !== 'function') throw new TypeError('createDevServer: handler must be a function')
  const log =
    options.logger === false
      ? () => undefined
      : (options.logger ?? ((line: string) => process.stderr.write(`${line}\n`)))
  const allowedOrigins = cors === true ? corsLocalOrigins : cors === false ? [] : cors
  const allowsOrigin = (requestHeaders: HttpExchange['head']['headers']): boolean => {
    const origin = headerValue(requestHeaders, 'origin')
    return origin !== undefined && isAllowedOrigin(origin, allowedOrigins)
  }
  const isAllowedHost = createHostCheck(host)
  const invokeOptions = {
    handler,
    eventShape,
    timeoutMs,
    functionName,
    verbose,
    streaming: options.streaming ?? isStreamingHandler(handler),
    decorateHeaders: (headers: [string, string][], requestHeaders: HttpExchange['head']['headers']) => {
      if (allowsOrigin(requestHeaders)) addCorsHeaders(headers, requestHeaders)
    },
  }

  /** The request path: each step answers the request or passes it on. */
  async function handle(exchange: HttpExchange): Promise<void> {
    const { head, readBody, target } = exchange
    const call = new CallLog(head, log)
    const hostHeader = headerValue(head.headers, 'host')
    if (!isAllowedHost(hostHeader)) {
      target.refuse(403, `Host "${hostHeader}" is not a loopback name or address: to serve it, start with --host <it>`)
      call.finish(describeStatus(403, undefined), ` (Host "${hostHeader}" refused: not loopback, not --host)`)
      return
    }
    // Handlers the dev server answers itself (not through the Lambda) go here, before the body is read.
    if (serveLocalCall(options.localServices, exchange, call)) return
    let body: Buffer
    try {
      body = await readBody()
    } catch (error) {
      if (!(error instanceof RequestTooLargeError)) throw error
      target.refuse(413, `${error.message} (requestMaxBytes)`)
      call.finish(describeStatus(413, undefined), ` (${error.message}: refused before buffering)`)
      return
    }
    if (cors !== false && isPreflight(head.method, head.headers)) {
      const allowed = allowsOrigin(head.headers)
      const headers = allowed ? preflightHeaders(head.headers) : []
      sendReply(target, { status: 204, headers, body: Buffer.alloc(0), trailers: [] })
      const origin = headerValue(head.headers, 'origin')
      call.finish(
        describeStatus(204, undefined),
        allowed
          ? ' (CORS preflight answered by the dev server)'
          : ` (CORS preflight from ${origin}, not an allowed origin: answered without CORS headers)`,
      )
      return
    }
    await invokeLambda({ ...head, body }, head.httpVersion, target, call, invokeOptions)
  }

  const transport = await listen({
    host,
    port,
    requestMaxBytes,
    headersTimeoutMs,
    idleTimeoutMs,
    onExchange: handle,
    log,
  })
  return { url: transport.url, port: transport.port, close: (graceMs = 3000) => transport.close(graceMs) }
}
