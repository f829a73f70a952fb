import type { Request } from '@middy/core'
import type { EventShape, HttpRequest, HttpResponse } from '../event.js'
import type { RpcMethod } from '../methods.js'
import type { Exchange, Protocol } from '../protocol/protocol.js'

/** Per-request state the middlewares share. */
export interface RpcState {
  readonly shape: EventShape
  readonly http: HttpRequest
  protocol?: Protocol
  exchange?: Exchange
  /** The request message, unframed and decompressed. */
  requestMessage?: Uint8Array
  method?: RpcMethod
  /** The encoded reply, after `protocol.replyOffset` reserved bytes (and before room for `exchange.replyTrailer`). */
  reply?: Uint8Array
  /** A server stream's replies, each encoded (after reserved bytes) as it is produced. */
  replyStream?: AsyncIterable<Uint8Array>
  /** The response, before it takes the event's shape. */
  response?: HttpResponse
}

/** A new state with every field declared, so that it keeps one object shape while the middlewares fill it in. */
export function newState(shape: EventShape, http: HttpRequest): RpcState {
  return {
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

/**
 * Each request's state is kept on its Middy request object (one per invocation) under a symbol, not in
 * `request.internal`: Middy 6 shares one `internal` object across invocations when `plugin.internal` is set, so
 * concurrent invocations would overwrite each other's state there. A symbol-keyed property stays out of for-in,
 * Object.keys, JSON.stringify and structuredClone, and costs a few nanoseconds (a WeakMap entry per invocation
 * measured ~1.3 µs a call).
 */
const stateKey = Symbol('middy-grpc state')

type AnyRequest = Request<any, any, any, any, any>

export function setState(request: AnyRequest, state: RpcState): void {
  ;(request as unknown as Record<symbol, RpcState | undefined>)[stateKey] = state
}

export function getState(request: AnyRequest): RpcState | undefined {
  return (request as unknown as Record<symbol, RpcState | undefined>)[stateKey]
}

export function requireState(request: AnyRequest, middleware: string): RpcState {
  const state = getState(request)
  if (state === undefined) throw new Error(`middy-grpc: ${middleware} needs grpcHttpEvent() before it`)
  return state
}
