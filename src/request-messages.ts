import { type CodecName, type MessageCodec, decodeMessage } from './codec.js'
import type { Compression } from './compression.js'
import { readEnvelopePayload, readEnvelopes } from './envelope.js'
import { GrpcError } from './grpc-error.js'
import { Status } from './status.js'

export interface RequestMessagesInit<T> {
  /** The request body: the envelopes exactly as they came. */
  envelopes: Uint8Array
  compression: Compression | null
  codec: MessageCodec<T>
  format: CodecName
  readMaxBytes: number
  readMaxMessages: number
}

/**
 * `event.messages` of a client-streaming or bidirectional call: the request messages in order. A Lambda invocation
 * holds the whole body, so nothing is awaited; each message is unframed, decompressed and decoded only when the
 * iteration reaches it, and what is wrong with it (a truncated envelope, bad flags, a message over `readMaxBytes`,
 * one more than `readMaxMessages`, bytes that do not decode) is thrown there, after the messages before it. A handler
 * may stop early or iterate again; nothing is kept between iterations.
 *
 * A class with private fields, not a generator object, so that loggers which clone or serialize the event see `{}`.
 */
export class RequestMessages<T> implements AsyncIterable<T> {
  readonly #init: RequestMessagesInit<T>

  constructor(init: RequestMessagesInit<T>) {
    this.#init = init
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    yield* decodeRequestMessages(this.#init)
  }
}

/** The synchronous core of RequestMessages: the decoded messages of a request body, one per step. */
export function* decodeRequestMessages<T>(init: RequestMessagesInit<T>): Generator<T, void, undefined> {
  const { compression, codec, format, readMaxBytes, readMaxMessages } = init
  let count = 0
  for (const envelope of readEnvelopes(init.envelopes, readMaxBytes)) {
    count++
    if (count > readMaxMessages) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `request stream has more than ${readMaxMessages} messages, the limit (readMaxMessages)`,
      )
    }
    yield decodeMessage(codec, readEnvelopePayload(envelope, compression, readMaxBytes), format)
  }
}
