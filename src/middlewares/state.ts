import type { Request } from '@middy/core'
import type { EventShape, HttpRequest, HttpResponse } from '../event.js'
import type { RpcMethod } from '../methods.js'
import type { Exchange, Protocol } from '../protocol/protocol.js'

/** Per-request state the middlewares share, in `request.internal.grpc`. */
export interface RpcState {
  /** The event this state belongs to; see getState. */
  readonly event: unknown
  readonly shape: EventShape
  readonly http: HttpRequest
  protocol?: Protocol
  exchange?: Exchange
  /** The request message, unframed and decompressed. */
  requestMessage?: Uint8Array
  method?: RpcMethod
  /** The encoded reply, after `protocol.replyOffset` reserved bytes (and before `exchange.replyTrailingBytes`). */
  reply?: Uint8Array
  /** A server stream's replies, each encoded (after reserved bytes) as it is produced. */
  replyStream?: AsyncIterable<Uint8Array>
  /** The response, before it takes the event's shape. */
  response?: HttpResponse
}

export interface GrpcInternal extends Record<string, unknown> {
  grpc?: RpcState
}

/**
 * The state of this request. Middy 6 shares one `internal` object across requests when `plugin.internal` is set, so
 * state left by an earlier invocation is recognised by its event and ignored.
 */
export function getState(request: Request<unknown, unknown, unknown, any, any>): RpcState | undefined {
  const state = (request.internal as GrpcInternal).grpc
  return state !== undefined && state.event === request.event ? state : undefined
}

export function requireState(request: Request<unknown, unknown, unknown, any, any>, middleware: string): RpcState {
  const state = getState(request)
  if (state === undefined) throw new Error(`middy-grpc: ${middleware} needs grpcHttpEvent() before it`)
  return state
}
