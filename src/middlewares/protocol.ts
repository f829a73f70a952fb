import type { MiddlewareObj, Request } from '@middy/core'
import { RpcCall, deadlineExceeded } from '../call.js'
import { base64Length, frontDoorMaxBytes, type HttpRequest, type HttpResponse } from '../event.js'
import { GrpcError, internalErrorMessage } from '../grpc-error.js'
import { NonRpcResponse, detectProtocol } from '../protocol/detect.js'
import type { Exchange, ProtocolOptions, StreamWriter } from '../protocol/protocol.js'
import { collectStream, openStream, streamingMaxBytes } from '../stream.js'
import { Status, statusName } from '../status.js'
import { requireState, getState, type RpcState } from './state.js'

export interface ErrorLogEntry {
  /** What the client was told. */
  error: GrpcError
  /** What was thrown. */
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
  /** The Middy handler is streamified: server streams are written as they are produced. Default false. */
  streamifyResponse?: boolean
  /**
   * Receives errors that were not GrpcErrors (bugs, failed dependencies): the client gets INTERNAL with a fixed
   * message, the original goes here. Default: one `console.error` line with the method, the status and the request
   * id, then the error. `false` for none. A logger that throws does not change the response.
   */
  logger?: ((entry: ErrorLogEntry) => void) | false
}

const defaults = {
  readMaxBytes: 4 * 1024 * 1024,
  readMaxHeaderBytes: 64 * 1024,
  readMaxHeaders: 100,
  writeMaxBytes: Infinity,
  compressMinBytes: 1024,
  requireConnectProtocolHeader: false,
  twirpPrefix: '/twirp',
  twirpLowerCamelJson: false,
  streamifyResponse: false,
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

type ProtocolRequest = Request<unknown, unknown, unknown, any>

/**
 * The wire protocol: detects it from the request (gRPC-Web binary and text, gRPC, Connect, Twirp), reads the
 * timeout and the one request message (unframed, decompressed, within `readMaxBytes`), and on the way out frames
 * the encoded reply or turns any error into the protocol's status.
 */
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
    compressMinBytes: options.compressMinBytes,
    requireConnectProtocolHeader: options.requireConnectProtocolHeader,
    twirpPrefix: options.twirpPrefix,
    twirpLowerCamelJson: options.twirpLowerCamelJson,
  }

  const grpcProtocolBefore = (request: ProtocolRequest): void => {
    const state = requireState(request, 'grpcProtocol')
    const { protocol, codec, contentType } = detectProtocol(state.http, options.twirpPrefix)
    const exchange: Exchange = {
      http: state.http,
      contentType,
      codec,
      options: protocolOptions,
      responseCompression: null,
      // Declared up front: one object shape from the start instead of a transition per field set later.
      call: undefined,
      replyTrailer: undefined,
    }
    state.protocol = protocol
    state.exchange = exchange
    checkHeaderLimits(state.http, options.readMaxHeaders, options.readMaxHeaderBytes)
    const { timeoutMs, message, responseCompression } = protocol.readRequest(exchange)
    exchange.responseCompression = responseCompression
    exchange.call = new RpcCall({
      protocol: protocol.name,
      codec,
      headers: state.http.headers,
      timeoutMs,
      lambdaContext: request.context,
    })
    state.requestMessage = message
  }

  const grpcProtocolAfter = (request: ProtocolRequest): void | Promise<void> => {
    const state = requireState(request, 'grpcProtocol')
    const { protocol, exchange, reply, replyStream } = state
    if (protocol === undefined || exchange?.call === undefined) return
    if (replyStream !== undefined) return writeStream(request, state, protocol.stream!, replyStream)
    exchange.call.dispose()
    // Reached when the handler ran past a deadline nothing raced it against (no grpcRouter, no Lambda context), or
    // when it returned normally after the deadline's signal aborted it, before the race's own timer fired.
    if (exchange.call.expiredBeforeReply) throw deadlineExceeded()
    if (reply === undefined) throw new Error('middy-grpc: no encoded reply; is grpcMessages() missing?')
    const messageBytes = reply.byteLength - protocol.replyOffset - (exchange.replyTrailer?.byteLength ?? 0)
    if (messageBytes > options.writeMaxBytes) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `reply of ${messageBytes} bytes is larger than writeMaxBytes ${options.writeMaxBytes}`,
      )
    }
    const response = protocol.writeReply(exchange, reply)
    const responseBytes = encodedBodyBytes(response)
    const limit = options.streamifyResponse ? streamingMaxBytes : frontDoorMaxBytes(state.shape)
    if (responseBytes > limit) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `reply of ${responseBytes} bytes does not fit through the ${state.shape} front door (${limit} bytes)`,
      )
    }
    state.response = response
  }

  const writeStream = async (
    request: ProtocolRequest,
    state: RpcState,
    writer: StreamWriter,
    replies: AsyncIterable<Uint8Array>,
  ): Promise<void> => {
    const exchange = state.exchange!
    const toError = (thrown: unknown): GrpcError => failCall(request, state, thrown)
    state.response = options.streamifyResponse
      ? await openStream(exchange, writer, replies, toError)
      : await collectStream(exchange, writer, replies, frontDoorMaxBytes(state.shape), toError)
  }

  /** Maps what was thrown to the status to send, stops the call, and logs what the client will not see. */
  const failCall = (request: ProtocolRequest, state: RpcState, thrown: unknown): GrpcError => {
    const exchange = state.exchange!
    let error: GrpcError
    try {
      error = toGrpcError(thrown, exchange)
    } catch {
      // Something thrown whose properties throw when read (a hostile getter, a revoked Proxy).
      error = new GrpcError(Status.INTERNAL, internalErrorMessage, { cause: thrown })
    }
    exchange.call?.abort(error)
    if (error !== thrown && options.logger !== false && error.code !== Status.DEADLINE_EXCEEDED) {
      try {
        options.logger({ error, cause: thrown, method: state.method?.path, requestId: request.context?.awsRequestId })
      } catch {
        // A failing logger must not turn the answer into an invocation error.
      }
    }
    return error
  }

  const grpcProtocolOnError = (request: ProtocolRequest): void => {
    const state = getState(request)
    if (state === undefined) return
    if (request.error instanceof NonRpcResponse) {
      state.response = request.error.toHttpResponse()
      return
    }
    const { protocol, exchange } = state
    if (protocol === undefined || exchange === undefined) return
    // @middy/http-error-handler, when it runs first, replaces errors it does not expose with a bare 500.
    const error = failCall(request, state, exchange.call?.handlerError ?? request.error)
    try {
      state.response = protocol.writeError(exchange, error)
    } catch {
      state.response = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'internal error' }
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

function toGrpcError(error: unknown, exchange: Exchange): GrpcError {
  if (error instanceof GrpcError) return error
  // Middy's early timeout, AbortSignal.timeout(), or a handler that gave up because the call's signal fired.
  if ((error as Error | undefined)?.name === 'TimeoutError') return deadlineExceeded(error)
  if (exchange.call !== undefined && Date.now() >= exchange.call.deadline) return deadlineExceeded(error)
  return GrpcError.from(error)
}

function encodedBodyBytes(response: HttpResponse): number {
  const { body } = response
  if (typeof body === 'string') return Buffer.byteLength(body)
  return body instanceof Uint8Array ? base64Length(body.byteLength) : 0
}
