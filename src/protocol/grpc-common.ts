import { acceptEncodingValue, findRequestCompression, negotiateResponseCompression } from '../compression.js'
import type { GrpcError } from '../grpc-error.js'
import { encodeBinaryHeader, encodeGrpcMessage } from '../metadata.js'
import { Status, type StatusCode } from '../status.js'
import { encodeStatusDetails } from '../status-details.js'
import { parseGrpcTimeout } from '../timeout.js'
import {
  copyMetadata,
  headerContentType,
  headerGrpcAcceptEncoding,
  headerGrpcEncoding,
  headerGrpcMessage,
  headerGrpcStatus,
  headerGrpcStatusDetailsBin,
  headerGrpcTimeout,
} from './headers.js'
import type { Exchange, ProtocolRequest } from './protocol.js'

/** Request side shared by gRPC, gRPC-Web and gRPC-Web text: timeout, compression, the enveloped messages. */
export function readGrpcRequest(exchange: Exchange, body: Uint8Array): ProtocolRequest {
  const { headers } = exchange.http
  const timeoutMs = parseGrpcTimeout(headers[headerGrpcTimeout])
  const requestCompression = findRequestCompression(headers[headerGrpcEncoding])
  const responseCompression = negotiateResponseCompression(headers[headerGrpcAcceptEncoding], requestCompression)
  return { timeoutMs, body: { envelopes: body, compression: requestCompression }, responseCompression }
}

/** Response headers of the gRPC family: content-type, encodings, then the handler's own headers. */
export function grpcResponseHeaders(
  exchange: Exchange,
  contentType: string,
  compressed: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {
    [headerContentType]: contentType,
    [headerGrpcAcceptEncoding]: acceptEncodingValue,
  }
  if (compressed && exchange.responseCompression !== null) {
    headers[headerGrpcEncoding] = exchange.responseCompression.name
  }
  copyMetadata(headers, exchange.responseHeader)
  return headers
}

/**
 * The status fields and trailers that end a call: grpc-status, grpc-message (percent-encoded, absent when empty),
 * grpc-status-details-bin, then the handler's trailers and the error's metadata, repeated names comma-joined.
 */
export function grpcTrailerFields(exchange: Exchange, error?: GrpcError): Record<string, string> {
  const code: StatusCode = error?.code ?? Status.OK
  const fields: Record<string, string> = { [headerGrpcStatus]: String(code) }
  if (error !== undefined) {
    if (error.message !== '') fields[headerGrpcMessage] = encodeGrpcMessage(error.message)
    if (error.details.length > 0) {
      fields[headerGrpcStatusDetailsBin] = encodeBinaryHeader(
        encodeStatusDetails({ code, message: error.message, details: [...error.details] }),
      )
    }
  }
  copyMetadata(fields, exchange.responseTrailer)
  copyMetadata(fields, error?.metadata)
  return fields
}

/** The content-type of a gRPC or gRPC-Web reply: the request's own when it named no codec, else `+proto`/`+json`. */
export function grpcReplyContentType(exchange: Exchange, base: string): string {
  if (exchange.codec === 'json') return `${base}+json`
  return exchange.contentType === base ? base : `${base}+proto`
}
