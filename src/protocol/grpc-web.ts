import { toBase64 } from '../event/write.js'
import type { HttpResponse } from '../event/shape.js'
import { GrpcError } from '../grpc-error.js'
import { Status } from '../status.js'
import { frameMessage, frameReply } from './frame.js'
import { grpcReplyContentType, grpcResponseHeaders, grpcTrailerFields, readGrpcRequest } from './grpc-common.js'
import { headerContentType, headerGrpcStatus } from './headers.js'
import type { Exchange, Protocol, StreamWriter } from './protocol.js'
import { encodeTrailerFrame } from './trailer.js'

const binaryStream: StreamWriter = {
  head: (exchange) => ({
    status: 200,
    headers: grpcResponseHeaders(exchange, contentType(exchange), exchange.responseCompression !== null),
  }),
  frame: frameMessage,
  end: (exchange, error) => ({ frame: encodeTrailerFrame(grpcTrailerFields(exchange, error)) }),
}

/**
 * gRPC-Web: the status travels in a trailer frame (flag 0x80) at the end of the body, so no HTTP trailers are
 * needed and every Lambda front door can carry it. Errors use the same form (a body holding only the trailer frame)
 * rather than status headers, so one parser path serves every client and no CORS header exposure is needed.
 */
export const grpcWeb: Protocol = {
  name: 'grpc-web',
  readRequest: (exchange) => readGrpcRequest(exchange, exchange.http.body),
  writeReply(exchange, reply) {
    const trailer =
      exchange.responseTrailer === undefined ? okTrailerFrame : encodeTrailerFrame(grpcTrailerFields(exchange))
    const { body, compressed, release } = frameReply(exchange, reply, trailer)
    return {
      status: 200,
      headers: grpcResponseHeaders(exchange, contentType(exchange), compressed),
      body,
      releaseBody: release,
    }
  },
  writeError(exchange, error) {
    return {
      status: 200,
      headers: grpcResponseHeaders(exchange, contentType(exchange), false),
      body: encodeTrailerFrame(grpcTrailerFields(exchange, error)),
    }
  },
  stream: binaryStream,
}

/** gRPC-Web text: the same frames, base64 both ways (browsers without binary XHR, and `mode: grpcwebtext`). */
export const grpcWebText: Protocol = {
  name: 'grpc-web-text',
  readRequest: (exchange) => readGrpcRequest(exchange, decodeGrpcWebText(exchange.http.body)),
  writeReply: (exchange, reply) => toText(grpcWeb.writeReply(exchange, reply)),
  writeError: (exchange, error) => toText(grpcWeb.writeError(exchange, error)),
  stream: {
    ...binaryStream,
    head: (exchange) => {
      const head = binaryStream.head(exchange)
      head.headers[headerContentType] = textContentType
      return head
    },
    base64Body: true,
  },
}

const textContentType = 'application/grpc-web-text+proto'

// The same bytes for every reply without trailers of its own: built once at import.
const okTrailerFrame = encodeTrailerFrame({ [headerGrpcStatus]: '0' })

function contentType(exchange: Exchange): string {
  return grpcReplyContentType(exchange, 'application/grpc-web')
}

function toText(response: HttpResponse): HttpResponse {
  response.headers[headerContentType] = textContentType
  // One base64 pass over the whole frame sequence: grpc-web JS decodes only 4-character-aligned text.
  response.body = toBase64(response.body as Uint8Array)
  response.releaseBody?.()
  response.releaseBody = undefined
  return response
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
