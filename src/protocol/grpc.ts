import type { GrpcError } from '../grpc-error.js'
import { frameMessage, frameReply } from './frame.js'
import { grpcReplyContentType, grpcResponseHeaders, grpcTrailerFields, readGrpcRequest } from './grpc-common.js'
import { headerTrailer } from './headers.js'
import type { Exchange, Protocol } from './protocol.js'
import { encodeTrailerFrame } from './trailer.js'

/**
 * Native gRPC. Its status belongs in HTTP/2 trailers, which no Lambda front door can send: the fields go into the
 * response headers, and a `trailer` header names those that are trailers, so that a trailer-capable front (the dev
 * server, Envoy) can move them back. Errors are Trailers-Only (status in headers, empty body), which is valid gRPC
 * on any front. A streamed reply cannot change its headers at the end, so it closes with a gRPC-Web trailer frame
 * (flag 0x80) instead, for the trailer-capable front to turn into trailers.
 */
export const grpc: Protocol = {
  name: 'grpc',
  readRequest: (exchange) => readGrpcRequest(exchange, exchange.http.body),
  writeReply(exchange, reply) {
    const { body, compressed, release } = frameReply(exchange, reply)
    const headers = grpcResponseHeaders(exchange, contentType(exchange), compressed)
    return { status: 200, headers: Object.assign(headers, trailerHeaders(exchange)), body, releaseBody: release }
  },
  writeError(exchange, error) {
    const headers = grpcResponseHeaders(exchange, contentType(exchange), false)
    return { status: 200, headers: Object.assign(headers, grpcTrailerFields(exchange, error)), body: new Uint8Array(0) }
  },
  stream: {
    head: (exchange) => ({
      status: 200,
      headers: grpcResponseHeaders(exchange, contentType(exchange), exchange.responseCompression !== null),
    }),
    frame: frameMessage,
    end: (exchange, error, buffered) =>
      buffered
        ? { headers: trailerHeaders(exchange, error) }
        : { frame: encodeTrailerFrame(grpcTrailerFields(exchange, error)) },
  },
}

function trailerHeaders(exchange: Exchange, error?: GrpcError): Record<string, string> {
  const trailers = grpcTrailerFields(exchange, error)
  return { [headerTrailer]: Object.keys(trailers).join(', '), ...trailers }
}

function contentType(exchange: Exchange): string {
  return grpcReplyContentType(exchange, 'application/grpc')
}
