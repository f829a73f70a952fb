import { envelopeHeaderBytes } from '../envelope.js'
import { frameReply, grpcResponseHeaders, grpcTrailerFields, readGrpcRequest } from './grpc-common.js'
import { encodeTrailerFrame } from './trailer.js'
import type { Exchange, Protocol } from './protocol.js'

/**
 * Native gRPC. Its status belongs in HTTP/2 trailers, which no Lambda front door can send: the fields go into the
 * response headers, and a `trailer` header names those that are trailers, so that a trailer-capable front (the dev
 * server, Envoy) can move them back. Errors are Trailers-Only (status in headers, empty body), which is valid gRPC
 * on any front. A streamed reply cannot change its headers at the end, so it closes with a gRPC-Web trailer frame
 * (flag 0x80) instead, for the trailer-capable front to turn into trailers.
 */
export const grpc: Protocol = {
  name: 'grpc',
  replyOffset: envelopeHeaderBytes,
  readRequest: (exchange) => readGrpcRequest(exchange, exchange.http.body),
  writeReply(exchange, reply) {
    const { frame, compressed } = frameReply(exchange, reply)
    const headers = grpcResponseHeaders(exchange, replyContentType(exchange), compressed)
    return { status: 200, headers: Object.assign(headers, trailerHeaders(exchange)), body: frame }
  },
  writeError(exchange, error) {
    const headers = grpcResponseHeaders(exchange, replyContentType(exchange), false)
    return { status: 200, headers: Object.assign(headers, grpcTrailerFields(exchange, error)), body: new Uint8Array(0) }
  },
  stream: {
    head: (exchange) => ({
      status: 200,
      headers: grpcResponseHeaders(exchange, replyContentType(exchange), exchange.responseCompression !== null),
    }),
    frame: (exchange, reply) => frameReply(exchange, reply).frame,
    end: (exchange, error, buffered) =>
      buffered
        ? { headers: trailerHeaders(exchange, error) }
        : { frame: encodeTrailerFrame(grpcTrailerFields(exchange, error)) },
  },
}

function trailerHeaders(exchange: Exchange, error?: Parameters<typeof grpcTrailerFields>[1]): Record<string, string> {
  const trailers = grpcTrailerFields(exchange, error)
  return { trailer: Object.keys(trailers).join(', '), ...trailers }
}

function replyContentType(exchange: Exchange): string {
  if (exchange.codec === 'json') return 'application/grpc+json'
  return exchange.contentType === 'application/grpc' ? exchange.contentType : 'application/grpc+proto'
}
