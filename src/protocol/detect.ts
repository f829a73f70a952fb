import type { CodecName } from '../codec.js'
import type { HttpRequest, HttpResponse } from '../event/shape.js'
import { connect } from './connect.js'
import { connectStream } from './connect-stream.js'
import { grpc } from './grpc.js'
import { grpcWeb, grpcWebText } from './grpc-web.js'
import { headerContentType } from './headers.js'
import type { Protocol } from './protocol.js'
import { isTwirpPath, twirp } from './twirp.js'

export interface DetectedProtocol {
  protocol: Protocol
  codec: CodecName
  /** Lower-case, without parameters. */
  contentType: string
}

const protocolsByContentType: [string, Omit<DetectedProtocol, 'contentType'>][] = [
  ['application/grpc-web', { protocol: grpcWeb, codec: 'proto' }],
  ['application/grpc-web+proto', { protocol: grpcWeb, codec: 'proto' }],
  ['application/grpc-web+json', { protocol: grpcWeb, codec: 'json' }],
  ['application/grpc-web-text', { protocol: grpcWebText, codec: 'proto' }],
  ['application/grpc-web-text+proto', { protocol: grpcWebText, codec: 'proto' }],
  ['application/grpc-web-text+json', { protocol: grpcWebText, codec: 'json' }],
  ['application/grpc', { protocol: grpc, codec: 'proto' }],
  ['application/grpc+proto', { protocol: grpc, codec: 'proto' }],
  ['application/grpc+json', { protocol: grpc, codec: 'json' }],
  ['application/proto', { protocol: connect, codec: 'proto' }],
  ['application/json', { protocol: connect, codec: 'json' }],
  ['application/connect+proto', { protocol: connectStream, codec: 'proto' }],
  ['application/connect+json', { protocol: connectStream, codec: 'json' }],
  ['application/protobuf', { protocol: twirp, codec: 'proto' }],
]

// Built once and frozen: detectProtocol hands these out as they are, instead of a new object per request.
const byContentType = new Map<string, Readonly<DetectedProtocol>>(
  protocolsByContentType.map(([contentType, detected]) => [contentType, Object.freeze({ ...detected, contentType })]),
)

export const supportedContentTypes = [...byContentType.keys()]

const connectGetCodecs: Record<string, CodecName | undefined> = { proto: 'proto', json: 'json' }

/**
 * The protocol of a request, from its method, content-type and path. Requests that are not RPCs get plain HTTP
 * answers (thrown as NonRpcResponse): 204 for a CORS preflight, 405 for another method, 415 for another
 * content-type. Twirp requests are recognised by the prefix of their path (or `application/protobuf`) and get
 * Twirp's own `bad_route` errors instead.
 */
export function detectProtocol(http: HttpRequest, twirpPrefix: string): Readonly<DetectedProtocol> {
  if (http.method === 'OPTIONS') throw new NonRpcResponse(204, '', { allow: 'GET, POST, OPTIONS' })
  const header = http.headers[headerContentType]
  // A content-type exactly as listed (what clients send) is looked up once, without parsing it first.
  const exact = header === undefined ? undefined : byContentType.get(header)
  const contentType = exact === undefined ? mediaType(header) : exact.contentType
  if (contentType === 'application/protobuf' || isTwirpPath(http.path, twirpPrefix)) {
    return { protocol: twirp, codec: contentType === 'application/json' ? 'json' : 'proto', contentType }
  }
  if (http.method === 'GET') return detectConnectGet(http)
  if (http.method !== 'POST') {
    throw new NonRpcResponse(405, `method ${http.method} not allowed: RPCs use POST`, { allow: 'GET, POST, OPTIONS' })
  }
  const detected = exact ?? byContentType.get(contentType)
  if (detected === undefined) {
    throw new NonRpcResponse(415, `unsupported content-type "${contentType}"`, {
      'accept-post': supportedContentTypes.join(', '),
    })
  }
  return detected
}

/** Connect's GET form: `?connect=v1&encoding=proto|json&message=…`. Any other GET is not an RPC. */
function detectConnectGet(http: HttpRequest): DetectedProtocol {
  const { query } = http
  if (query.encoding === undefined && query.message === undefined && query.connect === undefined) {
    throw new NonRpcResponse(405, 'method GET not allowed: RPCs use POST, or GET with a Connect query', {
      allow: 'GET, POST, OPTIONS',
    })
  }
  if (http.body.byteLength > 0) throw new NonRpcResponse(415, 'a Connect GET request has no body')
  // A missing encoding is the client's mistake (invalid_argument, from connect.readRequest); an unknown one is 415.
  const codec = query.encoding === undefined ? 'proto' : connectGetCodecs[query.encoding]
  if (codec === undefined) throw new NonRpcResponse(415, `unsupported encoding "${query.encoding}"`)
  return { protocol: connect, codec, contentType: `application/${codec}` }
}

/** The media type of a content-type header: lower-case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return ''
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

/**
 * A plain HTTP answer to a request that is not an RPC. Thrown so that it leaves through `onError`, where
 * @middy/http-cors decorates it. `statusCode` and `expose` keep @middy/http-error-handler from replacing it.
 */
export class NonRpcResponse extends Error {
  override readonly name = 'NonRpcResponse'
  readonly expose = true

  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  toHttpResponse(): HttpResponse {
    const headers = { ...this.headers }
    if (this.message !== '') headers[headerContentType] = 'text/plain; charset=utf-8'
    return { status: this.statusCode, headers, body: this.message }
  }
}
