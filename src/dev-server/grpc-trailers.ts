import { EnvelopeReader, type Envelope, flagTrailer } from '../envelope.js'
import { mediaType } from '../protocol/detect.js'
import {
  headerContentType,
  headerGrpcMessage,
  headerGrpcStatus,
  headerGrpcStatusDetailsBin,
  headerTrailer,
} from '../protocol/headers.js'
import { parseTrailerBlock } from '../protocol/trailer.js'
import { headerValue } from './http-exchange.js'

/**
 * Native gRPC over HTTP/2 needs real trailers, which no Lambda front door sends. The core ends a gRPC reply in one
 * of two ways the dev server turns into HTTP/2 trailers: a buffered reply names its trailer fields in a `trailer`
 * header (src/protocol/grpc.ts), a streamed one ends with a trailer frame (flag 0x80, the gRPC-Web form).
 */
export function isGrpcResponse(headers: readonly (readonly [string, string])[]): boolean {
  const type = mediaType(headerValue(headers, headerContentType))
  return type === 'application/grpc' || type.startsWith('application/grpc+')
}

/** Always trailers in a gRPC response with a body. */
const grpcStatusFields = [headerGrpcStatus, headerGrpcMessage, headerGrpcStatusDetailsBin]

/**
 * A buffered reply: the headers named by `trailer` (and the gRPC status fields) move to `trailers`; `trailer` goes.
 * A Trailers-Only response (empty body) keeps everything in its headers.
 */
export function moveToTrailers(reply: {
  headers: [string, string][]
  body: Uint8Array
  trailers: [string, string][]
}): void {
  const named = new Set(grpcStatusFields)
  for (const [name, value] of reply.headers) {
    if (name.toLowerCase() !== headerTrailer) continue
    for (const item of value.split(',')) if (item.trim() !== '') named.add(item.trim().toLowerCase())
  }
  const headers: [string, string][] = []
  for (const [name, value] of reply.headers) {
    const key = name.toLowerCase()
    if (key === headerTrailer) continue
    if (reply.body.byteLength > 0 && named.has(key)) reply.trailers.push([key, value])
    else headers.push([name, value])
  }
  reply.headers = headers
}

/** The headers of a streamed gRPC reply: without `trailer`, whose fields come in the trailer frame. */
export function withoutTrailerHeader(headers: [string, string][]): [string, string][] {
  return headers.filter(([name]) => name.toLowerCase() !== headerTrailer)
}

/** A trailer frame (flag 0x80): the gRPC-Web trailer block, and the end of a streamed gRPC reply. */
export function isTrailerFrame(frame: Envelope): boolean {
  return (frame.flags & flagTrailer) !== 0
}

/**
 * A streamed gRPC reply's body, read frame by frame: every complete frame is returned (message frames are passed on
 * whole), and the trailer frame's fields are kept in `trailers`, to leave as HTTP/2 trailers.
 */
export class TrailerFrameSplitter {
  readonly trailers: [string, string][] = []
  readonly #reader = new EnvelopeReader()

  push(chunk: Uint8Array): (Envelope & { bytes: Uint8Array })[] {
    const frames = this.#reader.push(chunk)
    for (const frame of frames) if (isTrailerFrame(frame)) this.trailers.push(...parseTrailerBlock(frame.data))
    return frames
  }
}
