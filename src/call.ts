import type protobuf from 'protobufjs'
import type { CodecName } from './codec.js'
import { GrpcError } from './grpc-error.js'
import { Metadata } from './metadata.js'
import type { RpcMethod } from './methods.js'
import { Status } from './status.js'

export type ProtocolName = 'grpc' | 'grpc-web' | 'grpc-web-text' | 'connect' | 'twirp'

/**
 * `event.grpc`: the call as the handler sees it. Metadata objects and the abort signal are built on first use, so
 * a handler that never reads them never pays for them.
 */
export class RpcCall<Req = any, Res = any> {
  readonly protocol: ProtocolName
  readonly codec: CodecName
  /** The timeout the client asked for, in milliseconds; `undefined` when it set none. */
  readonly timeoutMs: number | undefined

  // The method and service are behind accessors: they hold protobufjs types (functions), and loggers that clone or
  // serialize the event (input-output-logger's structuredClone) must not walk into them.
  #method!: RpcMethod<Req, Res>
  #service?: protobuf.Service
  readonly #rawHeaders: Readonly<Record<string, string | undefined>>
  readonly #clientDeadline: number
  readonly #lambdaContext: LambdaContextLike | undefined
  #deadline?: number
  #requestHeader?: Metadata
  #responseHeader?: Metadata
  #responseTrailer?: Metadata
  #abortController?: AbortController
  #abortTimer?: ReturnType<typeof setTimeout>
  /** @internal What the handler threw, kept for onError: @middy/http-error-handler may replace request.error first. */
  handlerError?: unknown

  constructor(init: {
    protocol: ProtocolName
    codec: CodecName
    headers: Readonly<Record<string, string | undefined>>
    timeoutMs: number | undefined
    lambdaContext: unknown
  }) {
    this.protocol = init.protocol
    this.codec = init.codec
    this.#rawHeaders = init.headers
    this.timeoutMs = init.timeoutMs
    // Capped at the longest delay setTimeout takes (~24.8 days): past it Node fires the timer after 1 ms instead.
    this.#clientDeadline =
      init.timeoutMs === undefined ? Infinity : Date.now() + Math.min(init.timeoutMs, maxTimerDelayMs)
    this.#lambdaContext = init.lambdaContext as LambdaContextLike | undefined
  }

  /**
   * Epoch ms: the earlier of the client's deadline and the Lambda's own (its remaining time less Middy's early
   * timeout margin); `Infinity` when neither is known. Worked out on first use: most calls never ask.
   */
  get deadline(): number {
    if (this.#deadline === undefined) {
      const getRemaining = this.#lambdaContext?.getRemainingTimeInMillis
      const lambdaDeadline =
        typeof getRemaining === 'function'
          ? Date.now() + getRemaining.call(this.#lambdaContext) - lambdaTimeoutMarginMs
          : Infinity
      this.#deadline = Math.min(this.#clientDeadline, lambdaDeadline)
    }
    return this.#deadline
  }

  /** True when the client's deadline comes before the Lambda's, so Middy's own timeout does not cover it. */
  get clientDeadlineFirst(): boolean {
    return this.#clientDeadline !== Infinity && this.#clientDeadline === this.deadline
  }

  /** The method being called. */
  get method(): RpcMethod<Req, Res> {
    return this.#method
  }

  /** The protobufjs reflection service, when the service came from reflection. */
  get service(): protobuf.Service | undefined {
    return this.#service
  }

  /** @internal Set once the method is resolved, before the handler runs. */
  resolve(method: RpcMethod<Req, Res>, service: protobuf.Service | undefined): void {
    this.#method = method
    this.#service = service
  }

  get requestHeader(): Metadata {
    return (this.#requestHeader ??= new Metadata(this.#rawHeaders))
  }

  /** Headers to send; each protocol carries them its own way. Protocol headers (content-type, grpc-*) are ignored. */
  get responseHeader(): Metadata {
    return (this.#responseHeader ??= new Metadata())
  }

  /** Trailers to send: gRPC-Web trailer frame, Connect `trailer-` headers, gRPC trailers. */
  get responseTrailer(): Metadata {
    return (this.#responseTrailer ??= new Metadata())
  }

  /** Aborts at the deadline, or when the call fails. */
  get signal(): AbortSignal {
    if (this.#abortController === undefined) {
      this.#abortController = new AbortController()
      if (this.deadline !== Infinity) {
        this.#abortTimer = setTimeout(() => this.abort(deadlineExceeded()), Math.max(0, this.deadline - Date.now()))
      }
    }
    return this.#abortController.signal
  }

  /**
   * @internal True once the deadline has passed or its timer aborted the call (a timer may fire a millisecond
   * early), without creating the signal.
   */
  get expired(): boolean {
    return this.#abortController?.signal.aborted === true || Date.now() >= this.deadline
  }

  /**
   * @internal As `expired`, for a unary reply: Middy's early timeout already answers the Lambda's own deadline, so
   * the clock is read only when the client's deadline comes first.
   */
  get expiredBeforeReply(): boolean {
    return this.#abortController?.signal.aborted === true || (this.clientDeadlineFirst && Date.now() >= this.deadline)
  }

  /** @internal The response metadata, without creating empty objects. */
  peekResponseMetadata(): { header?: Metadata; trailer?: Metadata } {
    return { header: this.#responseHeader, trailer: this.#responseTrailer }
  }

  /** @internal True when the handler set response trailers (peekResponseMetadata without allocating). */
  get hasResponseTrailer(): boolean {
    return this.#responseTrailer !== undefined && this.#responseTrailer.size > 0
  }

  /** @internal */
  abort(reason: unknown): void {
    this.dispose()
    this.#abortController?.abort(reason)
  }

  /** @internal Stops the deadline timer once the call is over. */
  dispose(): void {
    if (this.#abortTimer !== undefined) clearTimeout(this.#abortTimer)
    this.#abortTimer = undefined
  }
}

/** The longest delay setTimeout accepts: 2^31 - 1 ms. */
const maxTimerDelayMs = 2 ** 31 - 1
// Middy answers its own early timeout this many milliseconds (its default) before the Lambda's end.
const lambdaTimeoutMarginMs = 5

interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number
}

export function deadlineExceeded(cause?: unknown): GrpcError {
  return new GrpcError(Status.DEADLINE_EXCEEDED, 'deadline exceeded', { cause })
}

/**
 * Runs `work` against the client's deadline. Middy's own early timeout covers the Lambda's deadline, so a timer is
 * set only when the client's comes first.
 */
export function raceDeadline<T>(call: RpcCall, work: Promise<T>): Promise<T> {
  if (!call.clientDeadlineFirst) return work
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = deadlineExceeded()
        call.abort(error)
        reject(error)
      },
      Math.max(0, call.deadline - Date.now()),
    )
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
