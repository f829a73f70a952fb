import { envelopeHeaderBytes } from '../envelope.js'
import { frameReply, grpcResponseHeaders, grpcTrailerFields, readGrpcRequest } from './grpc-common.js'
import type { Exchange, Protocol } from './protocol.js'

/**
 * Native gRPC. Its status belongs in HTTP/2 trailers, which no Lambda front door can send: the fields go into the
 * response headers, and a `trailer` header names those that are trailers, so that a trailer-capable front (the dev
 * server, Envoy) can move them back. Errors are Trailers-Only (status in headers, empty body), which is valid gRPC
 * on any front.
 */
export const grpc: Protocol = {
  name: 'grpc',
  replyOffset: envelopeHeaderBytes,
  readRequest: (exchange) => readGrpcRequest(exchange, exchange.http.body),
  writeReply(exchange, reply) {
    const { frame, compressed } = frameReply(exchange, reply)
    const headers = grpcResponseHeaders(exchange, replyContentType(exchange), compressed)
    const trailers = grpcTrailerFields(exchange)
    headers.trailer = Object.keys(trailers).join(', ')
    return { status: 200, headers: Object.assign(headers, trailers), body: frame }
  },
  writeError(exchange, error) {
    const headers = grpcResponseHeaders(exchange, replyContentType(exchange), false)
    return { status: 200, headers: Object.assign(headers, grpcTrailerFields(exchange, error)), body: new Uint8Array(0) }
  },
}

function replyContentType(exchange: Exchange): string {
  return exchange.contentType === 'application/grpc' ? exchange.contentType : 'application/grpc+proto'
}
