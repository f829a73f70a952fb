import type { MiddlewareObj, Request } from '@middy/core'
import { Deadline, deadlineExceeded, defaultTimeoutEarlyInMillis, isMiddyTimeout } from '../deadline.js'
import { type HttpRequest, type HttpResponse, frontDoorMaxBytes } from '../event/shape.js'
import { base64Length } from '../event/write.js'
import { GrpcError, ReplyEncodingError, internalErrorMessage, isInstance } from '../grpc-error.js'
import { NonRpcResponse, detectProtocol } from '../protocol/detect.js'
import { headerContentType } from '../protocol/headers.js'
import type { Exchange, ProtocolOptions } from '../protocol/protocol.js'
import { collectStream, openStream, streamingMaxBytes } from '../stream.js'
import { Status, statusName } from '../status.js'
import { getState, requireState } from './state.js'
export interface ErrorLogEntry {
  /** What the client was told. */
  error: GrpcError
  /** What was thrown; for a reply that could not be encoded, why it could not. */
  cause: unknown
  method: string | undefined
  requestId: string | undefined
}

export interface GrpcProtocolOptions {
  /**
   * Largest request message in bytes, after decompression. Default 4 MiB. Checked against the envelope's length
   * prefix before anything is copied, and as a cap on the decompressor's output, so a zip bomb never inflates past
   * it. Over it: RESOURCE_EXHAUSTED (Connect and Twirp HTTP 429).
   */
  readMaxBytes?: number
  /**
   * Most request messages a client-streaming or bidirectional call may send. Default 10 000. Counted as the handler
   * reads `event.messages`: the message one over the limit ends the iteration with RESOURCE_EXHAUSTED.
   */
  readMaxMessages?: number
  /**
   * Largest total size of the request headers of an RPC: the lengths of every name and value added up, after the
   * front door's normalization (lower-case names, repeated headers comma-joined). Default 64 KiB. Over it:
   * RESOURCE_EXHAUSTED, before the message is read. Requests that are not RPCs are answered without it.
   */
  readMaxHeaderBytes?: number
  /**
   * Most request headers (distinct names, after normalization) an RPC may carry. Default 100. Over it:
   * RESOURCE_EXHAUSTED, before the message is read.
   */
  readMaxHeaders?: number
  /**
   * Largest reply message in bytes. Default: whatever fits through the front door the event came from (Lambda's
   * 6 MB payload after base64, 1 MB for ALB). Larger replies become RESOURCE_EXHAUSTED instead of a 502.
   */
  writeMaxBytes?: number
  /** Replies smaller than this many bytes are not compressed. Default 1024. */
  compressMinBytes?: number
  /** Connect: reject requests without `connect-protocol-version: 1` (`connect=v1` on GET). Default false. */
  requireConnectProtocolHeader?: boolean
  /** Twirp: the route prefix. Default `/twirp`. */
  twirpPrefix?: string
  /** Twirp: JSON replies with lowerCamel names instead of the .proto names the Go server uses. Default false. */
  twirpLowerCamelJson?: boolean
  /**
   * Receives errors that were not GrpcErrors (bugs, failed dependencies) and replies that could not be encoded: the
   * client gets INTERNAL with a fixed message, the original goes here. Default: one `console.error` line with the method, the status and the request
   * id, then the error. `false` for none. A logger that throws does not change the response.
   */
  logger?: ((entry: ErrorLogEntry) => void) | false
  /**
   * How many milliseconds before the Lambda's own end the call counts as over: `event.grpc.deadline` and
   * `event.grpc.signal` leave this much room to answer DEADLINE_EXCEEDED. Default 50. Give Middy the same value,
   * `middy({ timeoutEarlyInMillis: 50 })`: its early timeout answers a handler that ignores the signal.
   */
  timeoutEarlyInMillis?: number
}

const defaults = {
  readMaxBytes: 4 * 1024 * 1024,
  readMaxMessages: 10_000,
  readMaxHeaderBytes: 64 * 1024,
  readMaxHeaders: 100,
  writeMaxBytes: Infinity,
  compressMinBytes: 1024,
  requireConnectProtocolHeader: false,
  twirpPrefix: '/twirp',
  twirpLowerCamelJson: false,
  timeoutEarlyInMillis: defaultTimeoutEarlyInMillis,
  logger: (entry: ErrorLogEntry): void => {
    console.error(
      'middy-grpc: %s failed with %s (request %s):',
      entry.method ?? 'request',
      statusName(entry.error.code),
      entry.requestId ?? '-',
      entry.cause,
    )
  },
}

// biome-ignore lint/suspicious/noExplicitAny: any Middy request: this middleware reads only its own state
type ProtocolRequest = Request<unknown, unknown, unknown, any>

/**
 * The wire protocol: detects it from the request (gRPC-Web binary and text, gRPC, Connect, Twirp), reads the
 * timeout, the encodings and the request body (grpcMessages unframes it once the method is known), and on the way out frames
 * the encoded reply or turns any error into the protocol's status.
 */
// biome-ignore lint/suspicious/noExplicitAny: usable in any Middy chain, whatever its context type
export function grpcProtocol(opts: GrpcProtocolOptions = {}): MiddlewareObj<unknown, unknown, unknown, any> {
  // An option given as `undefined` keeps its default: `readMaxBytes: undefined` must not switch the limit off.
  const options: Omit<typeof defaults, 'logger'> & { logger: NonNullable<GrpcProtocolOptions['logger']> } = {
    ...defaults,
  }
  for (const key of Object.keys(opts) as (keyof GrpcProtocolOptions)[]) {
    if (opts[key] !== undefined) Object.assign(options, { [key]: opts[key] })
  }
  const protocolOptions: ProtocolOptions = {
    readMaxBytes: options.readMaxBytes,
    readMaxMessages: options.readMaxMessages,
    writeMaxBytes: options.writeMaxBytes,
    compressMinBytes: options.compressMinBytes,
    requireConnectProtocolHeader: options.requireConnectProtocolHeader,
    twirpPrefix: options.twirpPrefix,
    twirpLowerCamelJson: options.twirpLowerCamelJson,
  }

  const grpcProtocolBefore = (request: ProtocolRequest): void => {
    const state = requireState(request, 'grpcProtocol')
    const { protocol, codec, contentType } = detectProtocol(state.http, options.twirpPrefix)
    const exchange: Exchange = {
      protocol,
      http: state.http,
      contentType,
      codec,
      options: protocolOptions,
      responseCompression: null,
      timeoutMs: undefined,
    }
    state.exchange = exchange
    checkHeaderLimits(state.http, options.readMaxHeaders, options.readMaxHeaderBytes)
    const { timeoutMs, body, responseCompression } = protocol.readRequest(exchange)
    exchange.responseCompression = responseCompression
    exchange.timeoutMs = timeoutMs
    exchange.deadline = new Deadline(timeoutMs, request.context, options.timeoutEarlyInMillis)
    exchange.requestBody = body
  }

  const grpcProtocolAfter = (request: ProtocolRequest): void | Promise<void> => {
    const state = requireState(request, 'grpcProtocol')
    const { exchange } = state
    if (exchange?.deadline === undefined) return
    const { protocol, deadline, reply, replyStream } = exchange
    if (replyStream !== undefined && protocol.stream !== undefined) {
      const writer = protocol.stream
      const toError = (thrown: unknown): GrpcError => boundStreamError(exchange, failCall(request, exchange, thrown))
      const stream = state.streamifyResponse
        ? openStream(exchange, deadline, writer, replyStream, toError)
        : collectStream(exchange, deadline, writer, replyStream, frontDoorMaxBytes(state.http.shape), toError)
      return stream.then((response) => {
        state.response = response
      })
    }
    deadline.dispose()
    // Reached when the handler ran past a deadline nothing raced it against (no grpcRouter, no Lambda context), or
    // when it returned normally after the deadline's signal aborted it, before the race's own timer fired.
    if (deadline.expired) throw deadlineExceeded()
    if (reply === undefined) throw new Error('middy-grpc: no reply to encode; is grpcMessages() missing?')
    const response = protocol.writeReply(exchange, reply)
    const responseBytes = encodedBodyBytes(response)
    const limit = state.streamifyResponse ? streamingMaxBytes : frontDoorMaxBytes(state.http.shape)
    if (responseBytes > limit) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `reply of ${responseBytes} bytes does not fit through the ${state.http.shape} front door (${limit} bytes)`,
      )
    }
    state.response = response
  }

  /** Maps what was thrown to the status to send, stops the call, and logs what the client will not see. */
  const failCall = (request: ProtocolRequest, exchange: Exchange, thrown: unknown, mapped?: GrpcError): GrpcError => {
    let error: GrpcError
    try {
      error = toGrpcError(thrown, exchange, mapped)
    } catch {
      // Something thrown whose properties throw when read (a hostile getter, a revoked Proxy).
      error = new GrpcError(Status.INTERNAL, internalErrorMessage, { cause: thrown })
    }
    exchange.deadline?.abort(error)
    // A GrpcError is an answer, not a failure, except a reply that could not be encoded: its cause is logged.
    const encoding = isInstance(error, ReplyEncodingError)
    if ((encoding || error !== thrown) && options.logger !== false && error.code !== Status.DEADLINE_EXCEEDED) {
      try {
        options.logger({
          error,
          cause: encoding ? error.cause : thrown,
          method: exchange.method?.path,
          requestId: request.context?.awsRequestId,
        })
      } catch {
        // A failing logger must not turn the answer into an invocation error.
      }
    }
    return error
  }

  const grpcProtocolOnError = (request: ProtocolRequest): void => {
    const state = getState(request)
    if (state === undefined) return
    if (isInstance(request.error, NonRpcResponse)) {
      state.response = request.error.toHttpResponse()
      return
    }
    const { exchange } = state
    if (exchange === undefined) return
    // @middy/http-error-handler, when it runs first, replaces errors it does not expose with a bare 500.
    const { handlerError } = exchange
    const error =
      handlerError === undefined
        ? failCall(request, exchange, request.error)
        : failCall(request, exchange, handlerError.thrown, handlerError.mapped)
    try {
      const bodyMaxBytes = state.streamifyResponse ? streamingMaxBytes : frontDoorMaxBytes(state.http.shape)
      state.response = writeFittingError(exchange, error, bodyMaxBytes)
    } catch {
      state.response = {
        status: 500,
        headers: { [headerContentType]: 'text/plain; charset=utf-8' },
        body: 'internal error',
      }
    }
  }

  return { before: grpcProtocolBefore, after: grpcProtocolAfter, onError: grpcProtocolOnError }
}

function checkHeaderLimits({ headerCount, headerBytes }: HttpRequest, maxHeaders: number, maxBytes: number): void {
  if (headerCount > maxHeaders) {
    throw new GrpcError(
      Status.RESOURCE_EXHAUSTED,
      `${headerCount} request headers are more than the limit ${maxHeaders}`,
    )
  }
  if (headerBytes > maxBytes) {
    throw new GrpcError(
      Status.RESOURCE_EXHAUSTED,
      `request headers of ${headerBytes} bytes are larger than the limit ${maxBytes}`,
    )
  }
}

function toGrpcError(error: unknown, exchange: Exchange, mapped: GrpcError | undefined): GrpcError {
  if (isInstance(error, GrpcError)) return error
  // Middy's early timeout, or whatever a handler threw once the call's deadline had passed (it gave up because the
  // signal fired). A TimeoutError before the deadline is the handler's own failure, mapped as any other error.
  if (isMiddyTimeout(error) || exchange.deadline?.expired === true) return deadlineExceeded(error)
  return mapped ?? GrpcError.from(error)
}

/**
 * Response headers an error reply may carry, in bytes: front doors refuse larger header blocks (API Gateway's limit
 * is 10 KB), and a REST API (v1) result writes each header twice, in `headers` and `multiValueHeaders`, inside the
 * room `frontDoorMaxBytes` keeps free around the body; the two copies are counted.
 */
const errorHeaderMaxBytes = 8 * 1024

/**
 * The error reply, or, when its metadata and details would not fit through the front door, its status and message
 * alone: the message is capped (errorMessageMaxBytes), so that always fits, and the client gets a status instead of
 * the front door's 502.
 */
function writeFittingError(exchange: Exchange, error: GrpcError, bodyMaxBytes: number): HttpResponse {
  const response = exchange.protocol.writeError(exchange, error)
  const copies = exchange.http.shape === 'v1' ? 2 : 1
  if (headerBytes(response) * copies <= errorHeaderMaxBytes && encodedBodyBytes(response) <= bodyMaxBytes) {
    return response
  }
  exchange.responseHeader = undefined
  exchange.responseTrailer = undefined
  return exchange.protocol.writeError(exchange, new GrpcError(error.code, error.message))
}

/**
 * A stream's closing status, whose size cannot be checked once written: its metadata, details and the handler's
 * trailers are sent only when they fit the budget of an error reply's headers (gRPC sends them as headers when the
 * stream is collected); otherwise its status and message alone.
 */
function boundStreamError(exchange: Exchange, error: GrpcError): GrpcError {
  let bytes = 0
  for (const [name, value] of error.metadata) bytes += name.length + Buffer.byteLength(value) + 4
  for (const [name, value] of exchange.responseTrailer ?? []) bytes += name.length + Buffer.byteLength(value) + 4
  for (const detail of error.details) bytes += detail.type.length + base64Length(detail.value.byteLength)
  if (bytes * (exchange.http.shape === 'v1' ? 2 : 1) <= errorHeaderMaxBytes) return error
  exchange.responseTrailer = undefined
  return new GrpcError(error.code, error.message)
}

function headerBytes(response: HttpResponse): number {
  let bytes = 0
  for (const name in response.headers) bytes += name.length + Buffer.byteLength(response.headers[name]) + 4
  return bytes
}

function encodedBodyBytes(response: HttpResponse): number {
  const { body } = response
  if (typeof body === 'string') return Buffer.byteLength(body)
  return body instanceof Uint8Array ? base64Length(body.byteLength) : 0
}
