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

/** A new state with every field declared, so that it keeps one object shape while the middlewares fill it in. */
export function newState(event: unknown, shape: EventShape, http: HttpRequest): RpcState {
  return {
    event,
    shape,
    http,
    protocol: undefined,
    exchange: undefined,
    requestMessage: undefined,
    method: undefined,
    reply: undefined,
    replyStream: undefined,
    response: undefined,
  }
}

export interface GrpcInternal extends Record<string, unknown> {
  grpc?: RpcState
}

/**
 * Every request's state by its Middy request object (one per invocation). Middy 6 shares one `internal` object
 * across requests when `plugin.internal` is set: there, concurrent invocations (Lambda managed instances, tests)
 * overwrite each other's `internal.grpc`, and each finds its own state here instead.
 */
// Kept on the request under a symbol rather than in a WeakMap: a WeakMap entry per invocation cost ~1.3 µs per call
// (measured, mostly GC work on the ephemeron table), a symbol-keyed property a few nanoseconds. Symbol keys stay out
// of for-in, Object.keys, JSON.stringify and structuredClone.
const stateKey = Symbol('middy-grpc state')

export function setState(request: Request<unknown, unknown, unknown, any, any>, state: RpcState): void {
  ;(request.internal as GrpcInternal).grpc = state
  ;(request as unknown as Record<symbol, RpcState | undefined>)[stateKey] = state
}

/**
 * The state of this request. State left in a shared `internal` by another invocation is recognised by its event
 * and ignored.
 */
export function getState(request: Request<unknown, unknown, unknown, any, any>): RpcState | undefined {
  const state = (request.internal as GrpcInternal).grpc
  return state !== undefined && state.event === request.event
    ? state
    : (request as unknown as Record<symbol, RpcState | undefined>)[stateKey]
}

export function requireState(request: Request<unknown, unknown, unknown, any, any>, middleware: string): RpcState {
  const state = getState(request)
  if (state === undefined) throw new Error(`middy-grpc: ${middleware} needs grpcHttpEvent() before it`)
  return state
}
