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
      throw new GrpcError(Status.INVALID_ARGUMENT, `failed to parse JSON request message: ${(error as Error).message}`, {
        cause: error,
      })
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

/**
 * Encodes a reply (a plain object or a message of the type) after `reserveBytes` zero bytes, so that the envelope
 * header is written in place instead of copying the payload once more. `Type.encode` does not validate, so plain
 * objects go through `fromObject` first: a wrong reply fails here, as INTERNAL, instead of leaving as a corrupt frame.
 */
export function encodeMessage<T>(
  type: MessageType<T>,
  reply: unknown,
  reserveBytes: number,
  codec: CodecName,
  jsonProtoNames = false,
): Uint8Array {
  if (typeof reply !== 'object' || reply === null) {
    throw new GrpcError(Status.INTERNAL, `handler returned ${reply === null ? 'null' : typeof reply}, not a message`)
  }
  try {
    if (codec === 'json') {
      const text = formatJsonMessage(type, reply, jsonProtoNames)
      const bytes = Buffer.allocUnsafe(reserveBytes + Buffer.byteLength(text))
      bytes.fill(0, 0, reserveBytes)
      bytes.write(text, reserveBytes)
      return bytes
    }
    const writer = protobuf.Writer.create()
    // 5 bytes: the gRPC envelope header. (A 0 varint is one byte.)
    for (let i = 0; i < reserveBytes; i++) writer.uint32(0)
    return type.encode(type.fromObject(reply as Record<string, unknown>), writer).finish()
  } catch (error) {
    throw new GrpcError(Status.INTERNAL, 'failed to encode response message', { cause: error })
  }
}
