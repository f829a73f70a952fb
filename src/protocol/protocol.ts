import type { ProtocolName } from '../call.js'
import type { CodecName, MessageWithRoom } from '../codec.js'
import type { Compression } from '../compression.js'
import type { Deadline } from '../deadline.js'
import type { HttpRequest, HttpResponse } from '../event/shape.js'
import type { GrpcError } from '../grpc-error.js'
import type { Metadata } from '../metadata.js'
import type { RpcMethod } from '../methods.js'

export interface ProtocolOptions {
  /** Largest request message, after decompression. */
  readMaxBytes: number
  /** Most request messages a client-streaming or bidirectional call may send. */
  readMaxMessages: number
  /** Largest reply message. */
  writeMaxBytes: number
  /** Replies smaller than this are sent uncompressed even when the client accepts compression. */
  compressMinBytes: number
  /** Connect: reject requests without `connect-protocol-version: 1` (or `connect=v1` for GET). */
  requireConnectProtocolHeader: boolean
  /** Twirp: the route prefix, `/twirp` by default. */
  twirpPrefix: string
  /** Twirp: emit JSON with lowerCamel names instead of the .proto names the Go server uses. */
  twirpLowerCamelJson: boolean
}

/** What a protocol reads from a request before the method is known and its messages are decoded. */
export interface ProtocolRequest {
  timeoutMs: number | undefined
  body: RequestBody
  responseCompression: Compression | null
}

/**
 * A request body as its protocol carries it: enveloped messages (gRPC, gRPC-Web, Connect streaming), read and
 * decompressed one by one once the method says how many to expect, or one bare message already decompressed
 * (Connect unary, Twirp).
 */
export type RequestBody =
  | { readonly envelopes: Uint8Array; readonly compression: Compression | null; readonly message?: undefined }
  | { readonly message: Uint8Array; readonly envelopes?: undefined; readonly compression?: undefined }

/**
 * One RPC in flight: made by grpcProtocol once the protocol is known, filled in as the call goes, read by the
 * protocol to write the response. `event.grpc` (RpcCall) is its public face; nothing here is public.
 */
export interface Exchange {
  readonly protocol: Protocol
  readonly http: HttpRequest
  /** The request's media type, lower-case, without parameters. */
  readonly contentType: string
  readonly codec: CodecName
  readonly options: ProtocolOptions
  /** Set once the protocol has read the request (null: identity, or the request failed before). */
  responseCompression: Compression | null
  timeoutMs: number | undefined
  /** Undefined until the protocol has read the request. */
  deadline?: Deadline
  /** The request body, as the protocol read it. */
  requestBody?: RequestBody
  /** Set by grpcMessages once the path is resolved. */
  method?: RpcMethod
  requestHeader?: Metadata
  responseHeader?: Metadata
  responseTrailer?: Metadata
  /**
   * What the handler threw and the GrpcError it maps to, decided by grpcRouter where it was thrown:
   * @middy/http-error-handler, when it runs first, replaces request.error and sets `expose` on 4xx errors.
   */
  handlerError?: { thrown: unknown; mapped: GrpcError }
  /** The unary reply (set by grpcMessages), encoded by the protocol's framing. */
  reply?: Reply
  /** A server stream's reply messages, each encoded as it is produced. */
  replyStream?: AsyncIterable<Uint8Array>
}

/** A unary reply, encoded with `headBytes` of room before the message and `tailBytes` after it (codec.ts). */
export interface Reply {
  encode(headBytes: number, tailBytes: number): MessageWithRoom
}

/** The wire protocol: each file under protocol/ implements one. */
export interface Protocol {
  readonly name: ProtocolName
  readRequest(exchange: Exchange): ProtocolRequest
  /** JSON replies use the .proto field names instead of lowerCamel (Twirp, as its Go server). */
  jsonProtoNames?(options: ProtocolOptions): boolean
  /** The whole response of a unary call, around the reply message it encodes. */
  writeReply(exchange: Exchange, reply: Reply): HttpResponse
  writeError(exchange: Exchange, error: GrpcError): HttpResponse
  /** Server streaming, for the protocols that have it. */
  readonly stream?: StreamWriter
}

/** The pieces of a server-streaming reply: status and headers first, a frame per message, then the end. */
export interface StreamWriter {
  head(exchange: Exchange): { status: number; headers: Record<string, string> }
  frame(exchange: Exchange, message: Uint8Array): Uint8Array
  /**
   * What ends the stream: a closing frame, or (gRPC, when the whole reply is buffered) status fields for the
   * response headers.
   */
  end(exchange: Exchange, error: GrpcError | undefined, buffered: boolean): StreamEnd
  /** gRPC-Web text: every chunk of the body travels base64-encoded. */
  readonly base64Body?: boolean
}

export type StreamEnd =
  | { frame: Uint8Array; headers?: undefined }
  | { frame?: undefined; headers: Record<string, string> }
