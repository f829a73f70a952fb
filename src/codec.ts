import protobuf from 'protobufjs/minimal.js'
import { GrpcError } from './grpc-error.js'
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

/** Binary decode failures are INTERNAL, as gRPC specifies and connect-es answers. */
export function decodeMessage<T>(type: MessageType<T>, bytes: Uint8Array): T {
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
export function encodeMessage<T>(type: MessageType<T>, reply: unknown, reserveBytes: number): Uint8Array {
  if (typeof reply !== 'object' || reply === null) {
    throw new GrpcError(Status.INTERNAL, `handler returned ${reply === null ? 'null' : typeof reply}, not a message`)
  }
  try {
    const writer = protobuf.Writer.create()
    // 5 bytes: the gRPC envelope header. (A 0 varint is one byte.)
    for (let i = 0; i < reserveBytes; i++) writer.uint32(0)
    return type.encode(type.fromObject(reply as Record<string, unknown>), writer).finish()
  } catch (error) {
    throw new GrpcError(Status.INTERNAL, 'failed to encode response message', { cause: error })
  }
}
