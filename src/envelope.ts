import { GrpcError } from './grpc-error.js'
import { Status } from './status.js'

/** Envelope flags: the payload is compressed with the negotiated encoding. */
export const flagCompressed = 0x01
/** gRPC-Web: the payload is the trailer block. */
export const flagTrailer = 0x80
/** Connect streaming: the payload is the end-of-stream JSON. */
export const flagEndStream = 0x02

export const envelopeHeaderBytes = 5

export interface Envelope {
  flags: number
  data: Uint8Array
}

/** `flags | uint32 BE length | data` in one allocation. */
export function encodeEnvelope(flags: number, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(envelopeHeaderBytes + data.byteLength)
  writeEnvelopeHeader(bytes, 0, flags, data.byteLength)
  bytes.set(data, envelopeHeaderBytes)
  return bytes
}

export function writeEnvelopeHeader(target: Uint8Array, offset: number, flags: number, length: number): void {
  target[offset] = flags
  target[offset + 1] = length >>> 24
  target[offset + 2] = (length >>> 16) & 0xff
  target[offset + 3] = (length >>> 8) & 0xff
  target[offset + 4] = length & 0xff
}

/**
 * Reads the one message of a unary (or server-streaming) request. The declared length is checked against
 * `readMaxBytes` before anything is sliced; zero or several messages are UNIMPLEMENTED, as gRPC servers answer a
 * cardinality violation; a body cut short is INVALID_ARGUMENT.
 */
export function decodeSingleEnvelope(body: Uint8Array, readMaxBytes: number): Envelope {
  if (body.byteLength === 0) {
    throw new GrpcError(Status.UNIMPLEMENTED, 'unary request has no message')
  }
  const envelope = decodeEnvelopeAt(body, 0, readMaxBytes)
  const end = envelopeHeaderBytes + envelope.data.byteLength
  if (end < body.byteLength) {
    if (body.byteLength - end < envelopeHeaderBytes) {
      throw new GrpcError(
        Status.INVALID_ARGUMENT,
        `protocol error: ${body.byteLength - end} trailing bytes after the message`,
      )
    }
    throw new GrpcError(Status.UNIMPLEMENTED, 'unary request has more than one message')
  }
  return envelope
}

function decodeEnvelopeAt(body: Uint8Array, offset: number, readMaxBytes: number): Envelope {
  const remaining = body.byteLength - offset
  if (remaining < envelopeHeaderBytes) {
    throw new GrpcError(Status.INVALID_ARGUMENT, `protocol error: incomplete envelope header (${remaining} of 5 bytes)`)
  }
  const flags = body[offset]
  const length = body[offset + 1] * 0x1000000 + (body[offset + 2] << 16) + (body[offset + 3] << 8) + body[offset + 4]
  if (length > readMaxBytes) {
    throw new GrpcError(Status.RESOURCE_EXHAUSTED, `message size ${length} is larger than the limit ${readMaxBytes}`)
  }
  if (length > remaining - envelopeHeaderBytes) {
    throw new GrpcError(
      Status.INVALID_ARGUMENT,
      `protocol error: envelope declares ${length} bytes but ${remaining - envelopeHeaderBytes} follow`,
    )
  }
  const start = offset + envelopeHeaderBytes
  return { flags, data: body.subarray(start, start + length) }
}
