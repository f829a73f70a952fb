import type protobuf from 'protobufjs'
import type { CodecName } from './codec.js'
import type { Deadline } from './deadline.js'
import { Metadata } from './metadata.js'
import type { RpcMethod } from './methods.js'
import type { Exchange } from './protocol/protocol.js'

let exchangeOf: (call: RpcCall) => Exchange

/** The private state behind `event.grpc`, for the package's own handlers (grpcRouter). */
export function callExchange(call: RpcCall): Exchange {
  return exchangeOf(call)
}

export type ProtocolName = 'grpc' | 'grpc-web' | 'grpc-web-text' | 'connect' | 'twirp'

/**
 * `event.grpc`: the call as the handler sees it, a view of the request's state (its `Exchange`), which stays
 * private. Metadata objects and the abort signal are built on first use, so a handler that never reads them never
 * pays for them. Only plain data is an own property: loggers that clone or serialize the event (@middy/input-output-
 * logger's structuredClone) see `protocol`, `codec` and `timeoutMs`, and do not walk into protobufjs types.
 */
// biome-ignore lint/suspicious/noExplicitAny: the untyped default of the public API (a handler without type arguments)
export class RpcCall<Req = any, Res = any> {
  readonly protocol: ProtocolName
  readonly codec: CodecName
  /** The timeout the client asked for, in milliseconds; `undefined` when it set none. */
  readonly timeoutMs: number | undefined
  readonly #exchange: Exchange
  readonly #method: RpcMethod<Req, Res>
  readonly #deadline: Deadline

  constructor(exchange: Exchange, method: RpcMethod<Req, Res>, deadline: Deadline) {
    this.protocol = exchange.protocol.name
    this.codec = exchange.codec
    this.timeoutMs = exchange.timeoutMs
    this.#exchange = exchange
    this.#method = method
    this.#deadline = deadline
  }

  static {
    exchangeOf = (call) => call.#exchange
  }

  /** The method being called. */
  get method(): RpcMethod<Req, Res> {
    return this.#method
  }

  /** The protobufjs reflection service, when the service came from reflection. */
  get service(): protobuf.Service | undefined {
    return (this.#method.descriptor?.parent ?? undefined) as protobuf.Service | undefined
  }

  /** Epoch ms: the earlier of the client's deadline and the Lambda's own; `Infinity` when neither is known. */
  get deadline(): number {
    return this.#deadline.at
  }

  /** Aborts at the deadline, or when the call fails. */
  get signal(): AbortSignal {
    return this.#deadline.signal
  }

  get requestHeader(): Metadata {
    if (this.#exchange.requestHeader === undefined)
      this.#exchange.requestHeader = new Metadata(this.#exchange.http.headers)
    return this.#exchange.requestHeader
  }

  /** Headers to send; each protocol carries them its own way. Protocol headers (content-type, grpc-*) are ignored. */
  get responseHeader(): Metadata {
    if (this.#exchange.responseHeader === undefined) this.#exchange.responseHeader = new Metadata()
    return this.#exchange.responseHeader
  }

  /** Trailers to send: gRPC-Web trailer frame, Connect `trailer-` headers, gRPC trailers. */
  get responseTrailer(): Metadata {
    if (this.#exchange.responseTrailer === undefined) this.#exchange.responseTrailer = new Metadata()
    return this.#exchange.responseTrailer
  }
}
