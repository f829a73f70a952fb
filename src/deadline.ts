import { GrpcError } from './grpc-error.js'
import { Status } from './status.js'

/** The longest delay setTimeout accepts: 2^31 - 1 ms (past it Node fires the timer after 1 ms instead). */
const maxTimerDelayMs = 2 ** 31 - 1
/**
 * How long before the Lambda's own end a call counts as over, by default: room to encode the DEADLINE_EXCEEDED reply
 * and post it to the Runtime API before Lambda ends the function. Middy's own default (5 ms) was measured too short
 * for that on a busy machine; set `middy({ timeoutEarlyInMillis })` to the same value.
 */
export const defaultTimeoutEarlyInMillis = 50

interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number
}

export function deadlineExceeded(cause?: unknown): GrpcError {
  return new GrpcError(Status.DEADLINE_EXCEEDED, 'deadline exceeded', { cause })
}

/**
 * Middy's early timeout: @middy/core 6 and 7 throw an Error named `TimeoutError` whose `cause` is
 * `{ package: '@middy/core' }`. Other TimeoutErrors (`AbortSignal.timeout()`, an SDK client's own timeout) are the
 * handler's failures, not this call's deadline.
 */
export function isMiddyTimeout(error: unknown): boolean {
  try {
    const { name, cause } = error as { name?: unknown; cause?: { package?: unknown } }
    return name === 'TimeoutError' && typeof cause === 'object' && cause?.package === '@middy/core'
  } catch {
    return false
  }
}

/**
 * A call's deadline: the earlier of the client's (its timeout header) and the Lambda's. One timer, set on first use
 * of `signal` or `race`, aborts the signal and fails every race with DEADLINE_EXCEEDED. Nothing is allocated or read
 * from the clock for a call that never asks.
 */
export class Deadline {
  readonly #clientAt: number
  readonly #lambdaContext: LambdaContextLike | undefined
  readonly #lambdaMarginMs: number
  #at?: number
  #controller?: AbortController
  /** Why the call ended early (the deadline's error, or the call's failure), once it has. */
  #abortReason?: unknown
  #timer?: ReturnType<typeof setTimeout>
  #expiry?: Promise<never>

  /** `timeoutEarlyInMillis`: how long before the Lambda's end the call counts as over. */
  constructor(
    timeoutMs: number | undefined,
    lambdaContext: unknown,
    timeoutEarlyInMillis: number = defaultTimeoutEarlyInMillis,
  ) {
    this.#clientAt = timeoutMs === undefined ? Infinity : Date.now() + Math.min(timeoutMs, maxTimerDelayMs)
    this.#lambdaContext = lambdaContext as LambdaContextLike | undefined
    this.#lambdaMarginMs = timeoutEarlyInMillis
  }

  /** Epoch ms; `Infinity` when neither the client nor the Lambda context sets one. */
  get at(): number {
    if (this.#at === undefined) {
      const getRemaining = this.#lambdaContext?.getRemainingTimeInMillis
      const lambdaAt =
        typeof getRemaining === 'function'
          ? Date.now() + getRemaining.call(this.#lambdaContext) - this.#lambdaMarginMs
          : Infinity
      this.#at = Math.min(this.#clientAt, lambdaAt)
    }
    return this.#at
  }

  /** True when the client's deadline comes before the Lambda's, so Middy's own timeout does not cover it. */
  get clientFirst(): boolean {
    return this.#clientAt !== Infinity && this.#clientAt === this.at
  }

  /** Aborts at the deadline, or when the call fails. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#abortReason === undefined) this.#arm()
      else this.#controller.abort(this.#abortReason)
    }
    return this.#controller.signal
  }

  /**
   * True once the call was aborted (by the timer, which may fire a millisecond early, or by a failure) or the
   * client's deadline has passed. The Lambda's own is noticed by Middy's early timeout, or by the timer when armed,
   * so the Lambda context is not asked here: this is read on every reply.
   */
  get expired(): boolean {
    return this.#abortReason !== undefined || (this.#clientAt !== Infinity && Date.now() >= this.#clientAt)
  }

  /** `work`, or DEADLINE_EXCEEDED if the deadline comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    this.#arm()
    return this.#expiry === undefined ? work : Promise.race([work, this.#expiry])
  }

  abort(reason: unknown): void {
    this.dispose()
    this.#abortReason ??= reason
    this.#controller?.abort(reason)
  }

  /** Stops the timer once the call is over. */
  dispose(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm(): void {
    if (this.#expiry !== undefined || this.#abortReason !== undefined || this.at === Infinity) return
    this.#expiry = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(
        () => {
          const error = deadlineExceeded()
          this.abort(error)
          reject(error)
        },
        Math.max(0, this.at - Date.now()),
      )
    })
    // A race that is over, or none at all: the rejection is nobody's to handle.
    this.#expiry.catch(() => undefined)
  }
}
