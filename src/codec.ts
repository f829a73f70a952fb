import { MalformedMessageError, ReplyEncodingError } from './grpc-error.js'
import { Status } from './status.js'

/** The wire format of a call's messages: protobuf binary or proto3 JSON. */
export type CodecName = 'proto' | 'json'

/**
 * How the middlewares turn one message type's messages into bytes and back, whatever library generated or loaded
 * the type. Each family (protobufjs reflection or static code, protobuf-es, ts-proto, ...) has an adapter under
 * `codecs/` that makes one codec per message type, once, when the method table is built. Framing, compression,
 * limits, errors and streaming never look past this interface.
 *
 * - `decode*` throw on malformed input (any error; `decodeMessage` classifies it).
 * - `encode*` take what a handler returned (a plain object or a message of the type) and throw when it is not a
 *   valid message of the type (`encodeMessage` makes that INTERNAL).
 * - `encodeJson`'s `protoNames` asks for the .proto field names instead of lowerCamel (Twirp, as its Go server).
 */
export interface MessageCodec<T = unknown> {
  decodeBinary(bytes: Uint8Array): T
  decodeJson(text: string): T
  encodeBinary(message: unknown): Uint8Array
  encodeJson(message: unknown, protoNames: boolean): string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Binary decode failures are INTERNAL, as gRPC specifies; JSON ones INVALID_ARGUMENT, as Connect does. */
export function decodeMessage<T>(codec: MessageCodec<T>, bytes: Uint8Array, format: CodecName): T {
  if (format === 'json') {
    try {
      return codec.decodeJson(utf8.decode(bytes))
    } catch (error) {
      throw new MalformedMessageError(Status.INVALID_ARGUMENT, `failed to parse JSON request message`, error)
    }
  }
  try {
    return codec.decodeBinary(bytes)
  } catch (error) {
    throw new MalformedMessageError(Status.INTERNAL, `failed to decode request message`, error)
  }
}

/** The bytes of a reply message. What is not a message of the type fails here, as INTERNAL, not as a corrupt frame. */
export function encodeMessage(codec: MessageCodec, reply: unknown, format: CodecName, protoNames: boolean): Uint8Array {
  if (typeof reply !== 'object' || reply === null) {
    const message = `handler returned ${reply === null ? 'null' : typeof reply}, not a message`
    throw new ReplyEncodingError(message, new TypeError(message))
  }
  try {
    return format === 'json' ? Buffer.from(codec.encodeJson(reply, protoNames)) : codec.encodeBinary(reply)
  } catch (error) {
    throw new ReplyEncodingError('failed to encode response message', error)
  }
}
