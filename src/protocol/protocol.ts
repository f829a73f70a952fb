import type { RpcCall, ProtocolName } from '../call.js'
import type { CodecName } from '../codec.js'
import type { Compression } from '../compression.js'
import type { HttpRequest, HttpResponse } from '../event.js'
import type { GrpcError } from '../grpc-error.js'

export interface ProtocolOptions {
  /** Largest request message, after decompression. */
  readMaxBytes: number
  /** Replies smaller than this are sent uncompressed even when the client accepts compression. */
  compressMinBytes: number
  /** Connect: reject requests without `connect-protocol-version: 1` (or `connect=v1` for GET). */
  requireConnectProtocolHeader: boolean
  /** Twirp: the route prefix, `/twirp` by default. */
  twirpPrefix: string
  /** Twirp: emit JSON with lowerCamel names instead of the .proto names the Go server uses. */
  twirpLowerCamelJson: boolean
}

/** What a protocol reads from a request before the message is decoded. */
export interface ProtocolRequest {
  timeoutMs: number | undefined
  /** The request message, unframed and decompressed. */
  message: Uint8Array
  responseCompression: Compression | null
}

/** One call in flight, as the protocol needs it to write the response. */
export interface Exchange {
  readonly http: HttpRequest
  /** The request's media type, lower-case, without parameters. */
  readonly contentType: string
  readonly codec: CodecName
  readonly options: ProtocolOptions
  /** Undefined when the request failed before the call could be set up. */
  call?: RpcCall
  /** The frame closing a unary reply's body, when the protocol has one, built once (see replyTrailer). */
  replyTrailer?: Uint8Array
  responseCompression: Compression | null
  /** JSON replies use the .proto field names (Twirp) instead of lowerCamel. */
  jsonProtoNames?: boolean
  /** No method matched the path: Connect answers 404, Twirp bad_route (a declared method without handler is 501). */
  routeNotFound?: boolean
  /** The request message could not be decoded: Twirp answers malformed. */
  malformedRequest?: boolean
}

/** The wire protocol: each file under protocol/ implements one. */
export interface Protocol {
  readonly name: ProtocolName
  /** Bytes reserved in front of an encoded reply, so that the envelope header is written in place. */
  readonly replyOffset: number
  readRequest(exchange: Exchange): ProtocolRequest
  /**
   * The frame closing a unary reply's body (gRPC-Web's trailer frame). Asked for before the reply is encoded, so that
   * room for it is reserved after the message and it is written into the same buffer instead of copying the message
   * into a new one.
   */
  replyTrailer?(exchange: Exchange): Uint8Array
  /**
   * `reply` holds the encoded message after `replyOffset` reserved bytes, and before room for `exchange.replyTrailer`
   * when the protocol has one.
   */
  writeReply(exchange: Exchange, reply: Uint8Array): HttpResponse
  writeError(exchange: Exchange, error: GrpcError): HttpResponse
  /** Server streaming, for the protocols that have it. */
  readonly stream?: StreamWriter
}

/** The pieces of a server-streaming reply: status and headers first, a frame per message, then the end. */
export interface StreamWriter {
  head(exchange: Exchange): { status: number; headers: Record<string, string> }
  /** `reply` holds the encoded message after `replyOffset` reserved bytes. */
  frame(exchange: Exchange, reply: Uint8Array): Uint8Array
  /**
   * What ends the stream: a closing frame, or (gRPC, when the whole reply is buffered) status fields for the
   * response headers.
   */
  end(
    exchange: Exchange,
    error: GrpcError | undefined,
    buffered: boolean,
  ): { frame?: Uint8Array; headers?: Record<string, string> }
  /** gRPC-Web text: every chunk of the body travels base64-encoded. */
  readonly base64Body?: boolean
}
