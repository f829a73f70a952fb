import type { MiddlewareObj, Request } from '@middy/core'
import { RpcCall, deadlineExceeded } from '../call.js'
import { base64Length, frontDoorMaxBytes, type HttpResponse } from '../event.js'
import { GrpcError } from '../grpc-error.js'
import { NonRpcResponse, detectProtocol } from '../protocol/detect.js'
import type { Exchange, ProtocolOptions, StreamWriter } from '../protocol/protocol.js'
import { collectStream, openStream, streamingMaxBytes } from '../stream.js'
import { Status, statusName } from '../status.js'
import { requireState, getState, type GrpcInternal, type RpcState } from './state.js'

export interface ErrorLogEntry {
  /** What the client was told. */
  error: GrpcError
  /** What was thrown. */
  cause: unknown
  method: string | undefined
  requestId: string | undefined
}

export interface GrpcProtocolOptions {
  /** Largest request message in bytes, after decompression. Default 4 MiB. */
  readMaxBytes?: number
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
  /** Receives errors that were not GrpcErrors (bugs, failed dependencies). Default console.error; false for none. */
  logger?: ((entry: ErrorLogEntry) => void) | false
}

const defaults = {
  readMaxBytes: 4 * 1024 * 1024,
  writeMaxBytes: Infinity,
  compressMinBytes: 1024,
  requireConnectProtocolHeader: false,
  twirpPrefix: '/twirp',
  twirpLowerCamelJson: false,
  streamifyResponse: false,
  logger: (entry: ErrorLogEntry): void => {
    console.error('middy-grpc: %s failed with %s (request %s):', entry.method ?? 'request', statusName(entry.error.code), entry.requestId ?? '-', entry.cause)
  },
}

// Middy answers its own early timeout this many milliseconds before the Lambda's end.
const lambdaTimeoutMarginMs = 5

type ProtocolRequest = Request<unknown, unknown, unknown, any, GrpcInternal>

/**
 * The wire protocol: detects it from the request (gRPC-Web binary and text, gRPC, Connect, Twirp), reads the
 * timeout and the one request message (unframed, decompressed, within `readMaxBytes`), and on the way out frames
 * the encoded reply or turns any error into the protocol's status.
 */
export function grpcProtocol(opts: GrpcProtocolOptions = {}): MiddlewareObj<unknown, unknown, unknown, any, GrpcInternal> {
  const options = { ...defaults, ...opts }
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
    }
    state.protocol = protocol
    state.exchange = exchange
    const { timeoutMs, message, responseCompression } = protocol.readRequest(exchange)
    exchange.responseCompression = responseCompression
    exchange.call = new RpcCall({
      protocol: protocol.name,
      codec,
      headers: state.http.headers,
      timeoutMs,
      lambdaRemainingMs: lambdaRemainingMs(request.context),
    })
    state.requestMessage = message
  }

  const grpcProtocolAfter = (request: ProtocolRequest): void | Promise<void> => {
    const state = requireState(request, 'grpcProtocol')
    const { protocol, exchange, reply, replyStream } = state
    if (protocol === undefined || exchange?.call === undefined) return
    if (replyStream !== undefined) return writeStream(request, state, protocol.stream!, replyStream)
    exchange.call.dispose()
    // Reached when the handler ran past a deadline nothing raced it against (no grpcRouter, no Lambda context).
    if (Date.now() > exchange.call.deadline) throw deadlineExceeded()
    if (reply === undefined) throw new Error('middy-grpc: no encoded reply; is grpcMessages() missing?')
    const messageBytes = reply.byteLength - protocol.replyOffset
    if (messageBytes > options.writeMaxBytes) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `reply of ${messageBytes} bytes is larger than writeMaxBytes ${options.writeMaxBytes}`)
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
    const error = toGrpcError(thrown, exchange)
    exchange.call?.abort(error)
    if (error !== thrown && options.logger !== false && error.code !== Status.DEADLINE_EXCEEDED) {
      options.logger({ error, cause: thrown, method: state.method?.path, requestId: request.context?.awsRequestId })
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

function toGrpcError(error: unknown, exchange: Exchange): GrpcError {
  if (error instanceof GrpcError) return error
  // Middy's early timeout, AbortSignal.timeout(), or a handler that gave up because the call's signal fired.
  if ((error as Error | undefined)?.name === 'TimeoutError') return deadlineExceeded(error)
  if (exchange.call !== undefined && Date.now() >= exchange.call.deadline) return deadlineExceeded(error)
  return GrpcError.from(error)
}

function lambdaRemainingMs(context: unknown): number | undefined {
  const getRemaining = (context as { getRemainingTimeInMillis?: () => number } | undefined)?.getRemainingTimeInMillis
  return typeof getRemaining === 'function' ? getRemaining.call(context) - lambdaTimeoutMarginMs : undefined
}

function encodedBodyBytes(response: HttpResponse): number {
  const { body } = response
  if (typeof body === 'string') return Buffer.byteLength(body)
  return body instanceof Uint8Array ? base64Length(body.byteLength) : 0
}
