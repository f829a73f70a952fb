import protobuf from 'protobufjs/minimal.js'
import { GrpcError } from './grpc-error.js'
import { formatJsonMessage, parseJsonMessage } from './json.js'
import { Status } from './status.js'

/**
 * What a message type must offer: a protobufjs reflection `Type` and a class of a pbjs static module both do.
 * `fromObject` returns its argument unchanged when that already is a message of the type.
 */
export interface MessageType<T = any> {
  encode(message: T, writer?: protobuf.Writer): protobuf.Writer
  decode(reader: protobuf.Reader | Uint8Array, length?: number): T
  fromObject(object: { [key: string]: any }): T
}

export type CodecName = 'proto' | 'json'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Binary decode failures are INTERNAL, as gRPC specifies; JSON ones INVALID_ARGUMENT, as Connect does. */
export function decodeMessage<T>(type: MessageType<T>, bytes: Uint8Array, codec: CodecName): T {
  if (codec === 'json') {
    try {
      return parseJsonMessage(type, utf8.decode(bytes))
    } catch (error) {
      throw new GrpcError(
        Status.INVALID_ARGUMENT,
        `failed to parse JSON request message: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }
  try {
    return type.decode(bytes)
  } catch (error) {
    throw new GrpcError(Status.INTERNAL, `failed to decode request message: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

// One scratch Writer for every call: encoding is synchronous and the Writer is reset after each use (replaced after a
// failure). Its Op list is per call; what is saved is the Writer and its first Op.
let writer = protobuf.Writer.create()

/**
 * Encodes a reply (a plain object or a message of the type) after `reserveBytes` placeholder bytes and before
 * `trailingBytes` more (their values are unspecified: the caller writes them), so that the envelope header (and a
 * gRPC-Web trailer frame) is written in place instead of copying the payload once more. `Type.encode` does not
 * validate, so plain objects go through `fromObject` first (a no-op for a message of the type): a wrong reply fails
 * here, as INTERNAL, instead of leaving as a corrupt frame.
 */
export function encodeMessage<T>(
  type: MessageType<T>,
  reply: unknown,
  reserveBytes: number,
  codec: CodecName,
  jsonProtoNames = false,
  trailingBytes = 0,
): Uint8Array {
  if (typeof reply !== 'object' || reply === null) {
    throw new GrpcError(Status.INTERNAL, `handler returned ${reply === null ? 'null' : typeof reply}, not a message`)
  }
  try {
    if (codec === 'json') {
      const text = formatJsonMessage(type, reply, jsonProtoNames)
      const textBytes = Buffer.byteLength(text)
      const bytes = Buffer.allocUnsafe(reserveBytes + textBytes + trailingBytes)
      bytes.fill(0, 0, reserveBytes)
      bytes.write(text, reserveBytes)
      if (trailingBytes > 0) bytes.fill(0, reserveBytes + textBytes)
      return bytes
    }
    reservePlaceholders(writer, reserveBytes)
    type.encode(type.fromObject(reply as Record<string, unknown>), writer)
    reservePlaceholders(writer, trailingBytes)
    const bytes = writer.finish()
    writer.reset()
    return bytes
  } catch (error) {
    // A failure inside a nested message leaves forked states that reset() would restore: start a new Writer.
    writer = protobuf.Writer.create()
    throw new GrpcError(Status.INTERNAL, 'failed to encode response message', { cause: error })
  }
}

/**
 * Appends `count` placeholder bytes in as few Writer operations as possible (each is an allocation): 8 at a time
 * (a double), 5 (the largest uint32 is a 5-byte varint), 4 (fixed32), then single bytes. Their values do not matter:
 * the caller overwrites them (envelope header, trailer frame).
 */
function reservePlaceholders(target: protobuf.Writer, count: number): void {
  let left = count
  for (; left >= 8; left -= 8) target.double(0)
  if (left >= 5) {
    target.uint32(0xffffffff)
    left -= 5
  }
  if (left >= 4) {
    target.fixed32(0)
    left -= 4
  }
  for (; left > 0; left--) target.uint32(0)
}
