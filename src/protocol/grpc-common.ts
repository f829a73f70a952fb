import {
  acceptEncodingValue,
  findRequestCompression,
  negotiateResponseCompression,
  type Compression,
} from '../compression.js'
import {
  decodeSingleEnvelope,
  envelopeHeaderBytes,
  flagCompressed,
  encodeEnvelope,
  writeEnvelopeHeader,
} from '../envelope.js'
import { GrpcError } from '../grpc-error.js'
import {
  type Metadata,
  encodeGrpcMessage,
  encodeBinaryHeader,
  isReservedHeader,
  isSendableHeader,
  unpadBinaryHeader,
} from '../metadata.js'
import { Status, type StatusCode } from '../status.js'
import { encodeStatusDetails } from '../status-details.js'
import { parseGrpcTimeout } from '../timeout.js'
import type { Exchange, ProtocolRequest } from './protocol.js'

/** Request side shared by gRPC, gRPC-Web and gRPC-Web text: timeout, compression, one enveloped message. */
export function readGrpcRequest(exchange: Exchange, body: Uint8Array): ProtocolRequest {
  const { headers } = exchange.http
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout'])
  const requestCompression = findRequestCompression(headers['grpc-encoding'])
  const responseCompression = negotiateResponseCompression(headers['grpc-accept-encoding'], requestCompression)
  const { readMaxBytes } = exchange.options
  const envelope = decodeSingleEnvelope(body, readMaxBytes)
  return {
    timeoutMs,
    message: readEnvelopePayload(envelope.flags, envelope.data, requestCompression, readMaxBytes),
    responseCompression,
  }
}

export function readEnvelopePayload(
  flags: number,
  data: Uint8Array,
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

/**
 * Frames an encoded reply (5 reserved bytes, then the message): compressed into a new envelope when negotiated and
 * large enough, otherwise the header is written in place.
 */
export function frameReply(exchange: Exchange, reply: Uint8Array): { frame: Uint8Array; compressed: boolean } {
  const messageBytes = reply.byteLength - envelopeHeaderBytes
  const compression = exchange.responseCompression
  if (compression !== null && messageBytes >= exchange.options.compressMinBytes) {
    return {
      frame: encodeEnvelope(flagCompressed, compression.compress(reply.subarray(envelopeHeaderBytes))),
      compressed: true,
    }
  }
  writeEnvelopeHeader(reply, 0, 0, messageBytes)
  return { frame: reply, compressed: false }
}

/** Response headers of the gRPC family: content-type, encodings, then the handler's own headers. */
export function grpcResponseHeaders(
  exchange: Exchange,
  contentType: string,
  compressed: boolean,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType, 'grpc-accept-encoding': acceptEncodingValue }
  if (compressed) headers['grpc-encoding'] = exchange.responseCompression!.name
  copyMetadata(headers, exchange.call?.peekResponseMetadata().header)
  return headers
}

/**
 * The status fields and trailers that end a call: grpc-status, grpc-message (percent-encoded, absent when empty),
 * grpc-status-details-bin, then the handler's trailers and the error's metadata, repeated names comma-joined.
 */
export function grpcTrailerFields(exchange: Exchange, error?: GrpcError): Record<string, string> {
  const code: StatusCode = error?.code ?? Status.OK
  const fields: Record<string, string> = { 'grpc-status': String(code) }
  if (error !== undefined) {
    if (error.message !== '') fields['grpc-message'] = encodeGrpcMessage(error.message)
    if (error.details.length > 0) {
      fields['grpc-status-details-bin'] = encodeBinaryHeader(
        encodeStatusDetails({ code, message: error.message, details: [...error.details] }),
      )
    }
  }
  copyMetadata(fields, exchange.call?.peekResponseMetadata().trailer)
  copyMetadata(fields, error?.metadata)
  return fields
}

/** Copies metadata into headers, skipping protocol headers and emitting `-bin` values unpadded. */
export function copyMetadata(target: Record<string, string>, metadata: Metadata | undefined): void {
  if (metadata === undefined || metadata.size === 0) return
  for (const [name, value] of metadata) {
    if (isReservedHeader(name) || !isSendableHeader(name, value)) continue
    const wireValue = name.endsWith('-bin') ? unpadBinaryHeader(value) : value
    target[name] = Object.hasOwn(target, name) ? `${target[name]}, ${wireValue}` : wireValue
  }
}
