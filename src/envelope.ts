import type { Compression } from './compression.js'
import { GrpcError, messageTooLarge } from './grpc-error.js'
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

/** `flags | uint32 BE length | data` in one allocation, followed by `after` (a frame that ends the body) if given. */
export function encodeEnvelope(flags: number, data: Uint8Array, after?: Uint8Array): Uint8Array {
  const end = envelopeHeaderBytes + data.byteLength
  const bytes = Buffer.allocUnsafe(end + (after?.byteLength ?? 0))
  writeEnvelopeHeader(bytes, 0, flags, data.byteLength)
  bytes.set(data, envelopeHeaderBytes)
  if (after !== undefined) bytes.set(after, end)
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
  if (body.byteLength === 0) throw new GrpcError(Status.UNIMPLEMENTED, 'unary request has no message')
  const envelope = readEnvelopeAt(body, 0, readMaxBytes)
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

/**
 * The envelopes of a whole request body, in order, each read only when the iteration reaches it: its declared length
 * is checked against `readMaxBytes` before it is sliced (a view, not a copy), and a body cut short throws
 * INVALID_ARGUMENT there, after the envelopes before it. An empty body holds no envelopes.
 */
export function* readEnvelopes(body: Uint8Array, readMaxBytes: number): Generator<Envelope, void, undefined> {
  let offset = 0
  while (offset < body.byteLength) {
    const envelope = readEnvelopeAt(body, offset, readMaxBytes)
    offset += envelopeHeaderBytes + envelope.data.byteLength
    yield envelope
  }
}

/**
 * Splits a byte stream into envelopes across chunk boundaries (the dev server reads streamed bodies with it). Each
 * envelope's data is a view of the bytes pushed; `buffered` counts the bytes of an envelope not complete yet.
 */
export class EnvelopeReader {
  #pending: Uint8Array = new Uint8Array(0)

  /** The envelopes completed by `chunk`, each with `bytes`, the whole frame as it came. */
  push(chunk: Uint8Array): (Envelope & { bytes: Uint8Array })[] {
    this.#pending = this.#pending.byteLength === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    const envelopes: (Envelope & { bytes: Uint8Array })[] = []
    while (this.#pending.byteLength >= envelopeHeaderBytes) {
      const length = readEnvelopeLength(this.#pending, 0)
      const end = envelopeHeaderBytes + length
      if (this.#pending.byteLength < end) break
      const bytes = this.#pending.subarray(0, end)
      envelopes.push({ flags: bytes[0], data: bytes.subarray(envelopeHeaderBytes), bytes })
      this.#pending = this.#pending.subarray(end)
    }
    return envelopes
  }

  get buffered(): number {
    return this.#pending.byteLength
  }
}

/**
 * An envelope's message, decompressed within `readMaxBytes` when its flag says so. Any other flag on a request
 * message is a protocol error.
 */
export function readEnvelopePayload(
  { flags, data }: Envelope,
  compression: Compression | null,
  readMaxBytes: number,
): Uint8Array {
  if ((flags & ~flagCompressed) !== 0) {
    throw new GrpcError(Status.INTERNAL, `protocol error: invalid envelope flags 0x${flags.toString(16)}`)
  }
  if ((flags & flagCompressed) === 0) return data
  if (compression === null) {
    throw new GrpcError(Status.INTERNAL, 'protocol error: compressed message without a negotiated encoding')
  }
  return data.byteLength === 0 ? data : compression.decompress(data, readMaxBytes)
}

function readEnvelopeLength(bytes: Uint8Array, offset: number): number {
  return bytes[offset + 1] * 0x1000000 + (bytes[offset + 2] << 16) + (bytes[offset + 3] << 8) + bytes[offset + 4]
}

/**
 * The envelope at `offset` of a whole request body, its length checked against `readMaxBytes` before it is sliced
 * (a view, not a copy); a body cut short is INVALID_ARGUMENT. The next one starts at `offset + 5 + data.byteLength`.
 */
export function readEnvelopeAt(body: Uint8Array, offset: number, readMaxBytes: number): Envelope {
  const remaining = body.byteLength - offset
  if (remaining < envelopeHeaderBytes) {
    throw new GrpcError(Status.INVALID_ARGUMENT, `protocol error: incomplete envelope header (${remaining} of 5 bytes)`)
  }
  const flags = body[offset]
  const length = readEnvelopeLength(body, offset)
  if (length > readMaxBytes) {
    throw messageTooLarge(length, readMaxBytes)
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
