import type { Request } from '@middy/core'
import type { HttpRequest, HttpResponse } from '../event/shape.js'
import type { Exchange } from '../protocol/protocol.js'

/**
 * What the three middlewares share about one request: the HTTP request as grpcHttpEvent read it, how the result
 * leaves, the RPC once grpcProtocol knows its protocol, and the response before it takes the event's shape.
 */
export interface RpcState {
  readonly http: HttpRequest
  /** The Middy handler is streamified: said once, to grpcHttpEvent (or grpcFraming), read by grpcProtocol. */
  readonly streamifyResponse: boolean
  exchange?: Exchange
  response?: HttpResponse
}

/**
 * Each request's state is kept on its Middy request object (one per invocation) under a symbol, not in
 * `request.internal`: Middy 6 shares one `internal` object across invocations when `plugin.internal` is set, so
 * concurrent invocations would overwrite each other's state there. A symbol-keyed property stays out of for-in,
 * Object.keys, JSON.stringify and structuredClone.
 */
const stateKey = Symbol('middy-grpc state')

// biome-ignore lint/suspicious/noExplicitAny: any Middy request, whatever its event and result types
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

/** The exchange grpcProtocol made, for the middlewares after it. */
export function requireExchange(request: AnyRequest, middleware: string): Exchange {
  const exchange = requireState(request, middleware).exchange
  if (exchange === undefined) throw new Error(`middy-grpc: ${middleware} needs grpcProtocol() before it`)
  return exchange
}
