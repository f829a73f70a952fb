import { Metadata, type MetadataInit } from './metadata.js'
import { Status, type StatusCode, codeFromHttpStatus, codeToHttpStatus, isStatusCode, statusName } from './status.js'

/** An error detail as it travels: the message's full type name and its binary encoding (an `Any`). */
export interface ErrorDetail {
  readonly type: string
  readonly value: Uint8Array
}

/**
 * What `details` accepts: protobufjs messages made from reflection types (they carry `$type`), messages of pbjs
 * static modules (their class has `encode` and `getTypeUrl`), or already encoded `{ type, value }` pairs.
 */
export type ErrorDetailInit = ErrorDetail | object

export interface GrpcErrorOptions {
  details?: readonly ErrorDetailInit[]
  metadata?: MetadataInit
  cause?: unknown
}

/** The message sent for errors whose own message must not reach the client. */
export const internalErrorMessage = 'internal error'

/**
 * The longest error message sent, in UTF-8 bytes: a handler that puts client input into a message must not make the
 * reply too large for the front door (or `grpc-message`, percent-encoded, too large for a header). Longer messages
 * are cut at a character boundary and end with `truncatedMarker`.
 */
export const errorMessageMaxBytes = 1024
export const truncatedMarker = ' [truncated]'

function capMessage(message: string): string {
  // At most 3 UTF-8 bytes per UTF-16 code unit: most messages are known to fit without being measured.
  if (message.length * 3 <= errorMessageMaxBytes || Buffer.byteLength(message) <= errorMessageMaxBytes) return message
  const { read } = new TextEncoder().encodeInto(message, new Uint8Array(errorMessageMaxBytes))
  return message.slice(0, read) + truncatedMarker
}

export class GrpcError extends Error {
  override readonly name = 'GrpcError'
  readonly code: StatusCode
  readonly details: readonly ErrorDetail[]
  /** Trailers (or headers, where the protocol has no trailers) sent with the error. */
  readonly metadata: Metadata
  /**
   * The Connect protocol's HTTP status, with `expose: true`, so that @middy/http-error-handler, whichever side of
   * grpcFraming it sits on, keeps this error as it is instead of replacing it with a generic 500.
   */
  readonly statusCode: number
  readonly expose = true

  constructor(code: StatusCode, message = '', options: GrpcErrorOptions = {}) {
    super(capMessage(message), options.cause === undefined ? undefined : { cause: options.cause })
    if (!isStatusCode(code)) throw new TypeError(`GrpcError: ${String(code)} is not a status code (0-16)`)
    this.code = code
    this.statusCode = codeToHttpStatus(code)
    this.details = (options.details ?? []).map(toErrorDetail)
    this.metadata = options.metadata instanceof Metadata ? options.metadata : new Metadata(options.metadata)
  }

  /**
   * Turns anything thrown into a GrpcError. Errors with an HTTP `statusCode` (createError, http-errors) map by the
   * application-error table and keep their message only when their own `expose` is `true`; anything else is
   * INTERNAL with a generic message, the original kept as `cause` for logging.
   */
  static from(error: unknown): GrpcError {
    try {
      if (isInstance(error, GrpcError)) return error
      const httpStatus = (error as { statusCode?: unknown } | null)?.statusCode
      if (typeof httpStatus === 'number') {
        const code = codeFromHttpStatus(httpStatus)
        // Only an explicit `expose: true`: AWS SDK service errors and HTTP client errors carry a 4xx statusCode and
        // no `expose`, and their messages hold ARNs and account ids.
        const exposed = (error as { expose?: unknown }).expose === true
        const message = exposed ? (error as { message?: unknown }).message : undefined
        return new GrpcError(code, typeof message === 'string' ? message : statusName(code), { cause: error })
      }
    } catch {
      // A getter or a (revoked) Proxy that throws: nothing about the error can be trusted; it is an internal error.
    }
    return new GrpcError(Status.INTERNAL, internalErrorMessage, { cause: error })
  }
}

/**
 * False for a value that throws when inspected: a revoked Proxy, a Proxy whose traps throw, an object whose
 * `statusCode`, `expose`, `message`, `name`, `cause` or `headers` getter throws (what error handlers read).
 */
export function isInspectable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true
  try {
    Object.getPrototypeOf(value)
    const { statusCode, expose, message, name, cause, headers } = value as Record<string, unknown>
    void [statusCode, expose, message, name, cause, headers]
    return true
  } catch {
    return false
  }
}

/**
 * `value instanceof type` that survives a hostile value: false for a revoked Proxy or one whose
 * `getPrototypeOf` trap throws, instead of a TypeError escaping from error handling.
 */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type
  } catch {
    return false
  }
}

interface StaticMessageClass {
  encode(message: object): { finish(): Uint8Array }
  getTypeUrl(prefix?: string): string
}
interface ReflectedMessage {
  $type: { fullName: string; encode(message: object): { finish(): Uint8Array } }
}

function toErrorDetail(detail: ErrorDetailInit): ErrorDetail {
  const { type, value } = detail as Partial<ErrorDetail>
  if (typeof type === 'string' && value instanceof Uint8Array) return { type, value }
  const reflected = (detail as Partial<ReflectedMessage>).$type
  if (reflected !== undefined) {
    return { type: reflected.fullName.replace(/^\./, ''), value: reflected.encode(detail).finish() }
  }
  const ctor = detail.constructor as Partial<StaticMessageClass>
  if (typeof ctor.encode === 'function' && typeof ctor.getTypeUrl === 'function') {
    return { type: ctor.getTypeUrl('').replace(/^\//, ''), value: ctor.encode(detail).finish() }
  }
  throw new TypeError('GrpcError: a detail must be a protobufjs message or { type, value }')
}

/**
 * The one "too large" error (RESOURCE_EXHAUSTED) for a message over a limit: a request message (its declared or
 * decompressed size) or a reply. `size` is unknown when decompression stopped at the limit.
 */
export function messageTooLarge(size: number | undefined, limit: number, cause?: unknown): GrpcError {
  const subject = size === undefined ? 'decompressed message' : `message size ${size}`
  return new GrpcError(Status.RESOURCE_EXHAUSTED, `${subject} is larger than the limit ${limit}`, { cause })
}

/**
 * No method matches the request's path (or, for Twirp, its HTTP method and content-type): Connect answers 404 and
 * Twirp `bad_route`, where a method declared without a handler stays UNIMPLEMENTED (501).
 */
export class RouteNotFoundError extends GrpcError {
  constructor(message: string) {
    super(Status.UNIMPLEMENTED, message)
  }
}

/**
 * A reply the handler returned that could not be encoded (not a message, a value of the wrong type, a throwing
 * getter, a cycle): INTERNAL with a fixed message, and, though a GrpcError, logged with its `cause`, since it is a
 * bug of the handler, not an answer.
 */
export class ReplyEncodingError extends GrpcError {
  constructor(message: string, cause: unknown) {
    super(Status.INTERNAL, message, { cause })
  }
}

/**
 * A request message that could not be decoded: Twirp answers it `malformed`, the other protocols by its code. The
 * message says what failed in fixed words: the decoder's own text (`index out of range: 5 + 10 > 12`, `Maximum call
 * stack size exceeded`, a JSON parser's position) stays in `cause`.
 */
export class MalformedMessageError extends GrpcError {
  constructor(code: typeof Status.INTERNAL | typeof Status.INVALID_ARGUMENT, what: string, cause: unknown) {
    super(code, `${what}: ${describeDecodeFailure(cause)}`, { cause })
  }
}

function describeDecodeFailure(cause: unknown): string {
  if (isInstance(cause, SyntaxError)) return 'not valid JSON'
  if (isInstance(cause, RangeError)) {
    // V8's stack overflow is a RangeError too; protobufjs throws one for a length past the end of the message.
    return /call stack/i.test(String((cause as RangeError).message)) ? 'nested too deeply' : 'truncated message'
  }
  return 'not a valid message of the type'
}
