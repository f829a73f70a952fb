import type { CodecName } from '../codec.js'
import type { HttpRequest, HttpResponse } from '../event.js'
import { grpc } from './grpc.js'
import { grpcWeb, grpcWebText } from './grpc-web.js'
import type { Protocol } from './protocol.js'

export interface DetectedProtocol {
  protocol: Protocol
  codec: CodecName
  /** Lower-case, without parameters. */
  contentType: string
}

const byContentType = new Map<string, Omit<DetectedProtocol, 'contentType'>>([
  ['application/grpc-web', { protocol: grpcWeb, codec: 'proto' }],
  ['application/grpc-web+proto', { protocol: grpcWeb, codec: 'proto' }],
  ['application/grpc-web-text', { protocol: grpcWebText, codec: 'proto' }],
  ['application/grpc-web-text+proto', { protocol: grpcWebText, codec: 'proto' }],
  ['application/grpc', { protocol: grpc, codec: 'proto' }],
  ['application/grpc+proto', { protocol: grpc, codec: 'proto' }],
])

export const supportedContentTypes = [...byContentType.keys()]

/**
 * The protocol of a request, from its method and content-type. Requests that are not RPCs get plain HTTP answers
 * (thrown as NonRpcResponse): 204 for a CORS preflight, 405 for another method, 415 for another content-type.
 */
export function detectProtocol(http: HttpRequest): DetectedProtocol {
  if (http.method === 'OPTIONS') throw new NonRpcResponse(204, '', { allow: 'POST, OPTIONS' })
  if (http.method !== 'POST') {
    throw new NonRpcResponse(405, `method ${http.method} not allowed: RPCs use POST`, { allow: 'POST, OPTIONS' })
  }
  const contentType = mediaType(http.headers['content-type'])
  const detected = byContentType.get(contentType)
  if (detected === undefined) {
    throw new NonRpcResponse(415, `unsupported content-type "${contentType}"`, {
      'accept-post': supportedContentTypes.join(', '),
    })
  }
  return { ...detected, contentType }
}

function mediaType(contentType: string | undefined): string {
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
    if (this.message !== '') headers['content-type'] = 'text/plain; charset=utf-8'
    return { status: this.statusCode, headers, body: this.message }
  }
}
