import { envelopeHeaderBytes, writeEnvelopeHeader } from '../envelope.js'
import { toBase64, type HttpResponse } from '../event.js'
import { GrpcError } from '../grpc-error.js'
import { Status } from '../status.js'
import { frameReply, grpcResponseHeaders, grpcTrailerFields, readGrpcRequest } from './grpc-common.js'
import type { Exchange, Protocol, StreamWriter } from './protocol.js'
import { encodeTrailerFrame } from './trailer.js'

const binaryStream: StreamWriter = {
  head: (exchange) => ({
    status: 200,
    headers: grpcResponseHeaders(exchange, replyContentType(exchange), exchange.responseCompression !== null),
  }),
  frame: (exchange, reply) => frameReply(exchange, reply).frame,
  end: (exchange, error) => ({ frame: encodeTrailerFrame(grpcTrailerFields(exchange, error)) }),
}

/**
 * gRPC-Web: the status travels in a trailer frame (flag 0x80) at the end of the body, so no HTTP trailers are
 * needed and every Lambda front door can carry it. Errors use the same form (a body holding only the trailer frame)
 * rather than status headers, so one parser path serves every client and no CORS header exposure is needed.
 */
export const grpcWeb: Protocol = {
  name: 'grpc-web',
  replyOffset: envelopeHeaderBytes,
  readRequest: (exchange) => readGrpcRequest(exchange, exchange.http.body),
  replyTrailer: replyTrailerFrame,
  writeReply(exchange, reply) {
    const reserved = exchange.replyTrailer?.byteLength ?? 0
    const trailer = exchange.replyTrailer ?? replyTrailerFrame(exchange)
    const messageBytes = reply.byteLength - envelopeHeaderBytes - reserved
    const compression = exchange.responseCompression
    let body: Uint8Array
    let compressed = false
    if ((compression === null || messageBytes < exchange.options.compressMinBytes) && reserved > 0) {
      // The usual case: header written in place, trailer frame into the bytes reserved for it, no copy.
      writeEnvelopeHeader(reply, 0, 0, messageBytes)
      reply.set(trailer, envelopeHeaderBytes + messageBytes)
      body = reply
    } else {
      const framed = frameReply(exchange, reserved === 0 ? reply : reply.subarray(0, reply.byteLength - reserved))
      compressed = framed.compressed
      body = concat(framed.frame, trailer)
    }
    return { status: 200, headers: grpcResponseHeaders(exchange, replyContentType(exchange), compressed), body }
  },
  writeError(exchange, error) {
    return {
      status: 200,
      headers: grpcResponseHeaders(exchange, replyContentType(exchange), false),
      body: encodeTrailerFrame(grpcTrailerFields(exchange, error)),
    }
  },
  stream: binaryStream,
}

/** gRPC-Web text: the same frames, base64 both ways (browsers without binary XHR, and `mode: grpcwebtext`). */
export const grpcWebText: Protocol = {
  name: 'grpc-web-text',
  replyOffset: envelopeHeaderBytes,
  readRequest: (exchange) => readGrpcRequest(exchange, decodeGrpcWebText(exchange.http.body)),
  replyTrailer: grpcWeb.replyTrailer,
  writeReply: (exchange, reply) => toText(grpcWeb.writeReply(exchange, reply)),
  writeError: (exchange, error) => toText(grpcWeb.writeError(exchange, error)),
  stream: {
    ...binaryStream,
    head: (exchange) => {
      const head = binaryStream.head(exchange)
      head.headers['content-type'] = textContentType
      return head
    },
    base64Body: true,
  },
}

const textContentType = 'application/grpc-web-text+proto'

function replyContentType(exchange: Exchange): string {
  if (exchange.codec === 'json') return 'application/grpc-web+json'
  return exchange.contentType === 'application/grpc-web' ? exchange.contentType : 'application/grpc-web+proto'
}

function toText(response: HttpResponse): HttpResponse {
  response.headers['content-type'] = textContentType
  // One base64 pass over the whole frame sequence: grpc-web JS decodes only 4-character-aligned text.
  response.body = toBase64(response.body as Uint8Array)
  return response
}

// The trailer frame of a call that succeeded without trailers of its own: the same bytes every time. Only ever copied
// into a reply, never sent as it is.
const okTrailerFrame = encodeTrailerFrame({ 'grpc-status': '0' })

/** The trailer frame that ends a successful unary reply. */
function replyTrailerFrame(exchange: Exchange): Uint8Array {
  return exchange.call?.hasResponseTrailer === true ? encodeTrailerFrame(grpcTrailerFields(exchange)) : okTrailerFrame
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const bytes = Buffer.allocUnsafe(first.byteLength + second.byteLength)
  bytes.set(first, 0)
  bytes.set(second, first.byteLength)
  return bytes
}

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * The request body of gRPC-Web text: base64, possibly several separately padded chunks (the spec allows a client to
 * flush at any frame). Node's decoder stops at the first `=`, so each chunk is decoded on its own.
 */
export function decodeGrpcWebText(body: Uint8Array): Uint8Array {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1').replace(/\s+/g, '')
  const chunks = text.split(/(?<==)(?=[^=])/)
  for (const chunk of chunks) {
    if (!base64Text.test(chunk) || chunk.length % 4 === 1) {
      throw new GrpcError(Status.INVALID_ARGUMENT, 'protocol error: gRPC-Web text body is not valid base64')
    }
  }
  if (chunks.length === 1) return Buffer.from(text, 'base64')
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'base64')))
}
