import { type Deadline, deadlineExceeded } from './deadline.js'
import type { HttpResponse } from './event/shape.js'
import { base64Length, toBase64 } from './event/write.js'
import { GrpcError } from './grpc-error.js'
import type { Exchange, StreamWriter } from './protocol/protocol.js'
import { Status } from './status.js'

/** Lambda response streaming carries up to 200 MB. */
export const streamingMaxBytes = 200 * 1024 * 1024

/** Turns whatever a stream ends with into the status to send. */
export type ErrorMapper = (error: unknown) => GrpcError

/**
 * A buffered front door (HTTP API, ALB, REST API without streaming): the whole stream is collected into one body,
 * up to what the front door can carry; past that the stream ends RESOURCE_EXHAUSTED.
 */
export async function collectStream(
  exchange: Exchange,
  deadline: Deadline,
  writer: StreamWriter,
  messages: AsyncIterable<Uint8Array>,
  maxBytes: number,
  toError: ErrorMapper,
): Promise<HttpResponse> {
  const frames: Uint8Array[] = []
  let error: GrpcError | undefined
  try {
    let total = 0
    for await (const message of untilDeadline(deadline, messages)) {
      const frame = writer.frame(exchange, message)
      total += frame.byteLength
      if (base64Length(total) > maxBytes) {
        throw new GrpcError(
          Status.RESOURCE_EXHAUSTED,
          `streamed reply passed ${maxBytes} bytes, the most a buffered ${exchange.http.shape} front door carries: ` +
            'enable Lambda response streaming (streamifyResponse)',
        )
      }
      frames.push(frame)
    }
  } catch (thrown) {
    error = toError(thrown)
  }
  deadline.dispose()
  const { status, headers } = writer.head(exchange)
  const end = writer.end(exchange, error, true)
  if (end.frame !== undefined) frames.push(end.frame)
  else Object.assign(headers, end.headers)
  const body = Buffer.concat(frames)
  return { status, headers, body: writer.base64Body ? toBase64(body) : body }
}

/**
 * Lambda response streaming: the first message is awaited so that headers the handler sets before it go out, then
 * each message is framed and written as it is produced, pulled by the response stream (backpressure: nothing is
 * buffered beyond one message). Whatever ends the stream, it closes with the protocol's status.
 */
export async function openStream(
  exchange: Exchange,
  deadline: Deadline,
  writer: StreamWriter,
  messages: AsyncIterable<Uint8Array>,
  toError: ErrorMapper,
): Promise<HttpResponse> {
  const iterator = untilDeadline(deadline, messages)[Symbol.asyncIterator]()
  let error: GrpcError | undefined
  let first: IteratorResult<Uint8Array> | undefined
  try {
    first = await iterator.next()
  } catch (thrown) {
    error = toError(thrown)
  }
  const { status, headers } = writer.head(exchange)
  const encode = (bytes: Uint8Array): Uint8Array => (writer.base64Body ? Buffer.from(toBase64(bytes)) : bytes)

  async function* frames(): AsyncGenerator<Uint8Array> {
    let total = 0
    try {
      for (let result = first; result !== undefined && !result.done; result = await iterator.next()) {
        const frame = writer.frame(exchange, result.value)
        total += frame.byteLength
        if (total > streamingMaxBytes) {
          throw new GrpcError(Status.RESOURCE_EXHAUSTED, `streamed reply passed ${streamingMaxBytes} bytes`)
        }
        yield encode(frame)
      }
    } catch (thrown) {
      error = toError(thrown)
      await iterator.return?.(undefined)
    }
    const end = writer.end(exchange, error, false)
    if (end.frame !== undefined) yield encode(end.frame)
    deadline.dispose()
  }
  return { status, headers, body: frames() }
}

/**
 * The handler's messages, each awaited against the call's deadline. Middy's own timeout covers only the handler
 * call, which returns the iterable at once, so the stream races the deadline itself.
 */
async function* untilDeadline<T>(deadline: Deadline, source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  let finished = false
  try {
    for (;;) {
      const result = await deadline.race(iterator.next())
      // The call's signal may have fired first and the handler ended (or yielded) normally before this race did.
      if (deadline.expired) throw deadlineExceeded()
      if (result.done) {
        finished = true
        return
      }
      yield result.value
    }
  } finally {
    // Stopped early (an error, the deadline, a closed response): let the handler's generator clean up.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined)
  }
}

/** A server-streaming or bidirectional handler returns an AsyncIterable (an async generator) or an Iterable (an array). */
export function toAsyncIterable(reply: unknown): AsyncIterable<unknown> {
  if (typeof reply === 'object' && reply !== null) {
    if (Symbol.asyncIterator in reply) return reply as AsyncIterable<unknown>
    if (Symbol.iterator in reply) {
      const items = reply as Iterable<unknown>
      return (async function* () {
        yield* items
      })()
    }
  }
  throw new GrpcError(
    Status.INTERNAL,
    'a server-streaming or bidirectional handler must return an AsyncIterable of messages',
  )
}
