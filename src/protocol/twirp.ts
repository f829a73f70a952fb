import type { HttpResponse } from '../event/shape.js'
import { MalformedMessageError, RouteNotFoundError, messageTooLarge } from '../grpc-error.js'
import { connectCodeName, twirpHttpStatus } from '../status.js'
import { copyMetadata, headerContentType } from './headers.js'
import { encodeBareReply } from './frame.js'
import type { Exchange, Protocol } from './protocol.js'

export const twirpContentTypes = ['application/protobuf', 'application/json']

/**
 * Twirp v7: `POST [prefix]/pkg.Service/Method` with a bare protobuf or JSON body, JSON errors `{code, msg, meta}`.
 * No timeouts, compression or trailers; trailers the handler sets go out as headers. JSON replies use the .proto
 * field names, as the Go server does.
 */
export const twirp: Protocol = {
  name: 'twirp',
  readRequest(exchange) {
    const { http, options } = exchange
    if (http.method !== 'POST' || !twirpContentTypes.includes(exchange.contentType)) {
      throw new RouteNotFoundError(`unsupported ${http.method} with content-type "${exchange.contentType}"`)
    }
    if (http.body.byteLength > options.readMaxBytes) throw messageTooLarge(http.body.byteLength, options.readMaxBytes)
    return { timeoutMs: undefined, body: { message: http.body }, responseCompression: null }
  },
  jsonProtoNames: (options) => !options.twirpLowerCamelJson,
  writeReply(exchange, reply) {
    // No compression in Twirp: responseCompression is always null, so the body is the message as encoded.
    const { body, release } = encodeBareReply(exchange, reply)
    return { status: 200, headers: twirpHeaders(exchange, exchange.contentType), body, releaseBody: release }
  },
  writeError(exchange, error): HttpResponse {
    const headers = twirpHeaders(exchange, 'application/json')
    const meta: Record<string, string> = {}
    copyMetadata(meta, error.metadata)
    let code = connectCodeName(error.code)
    let status = twirpHttpStatus(error.code)
    if (error instanceof RouteNotFoundError) {
      code = 'bad_route'
      status = 404
      meta.twirp_invalid_route = `${exchange.http.method} ${exchange.http.path}`
    } else if (error instanceof MalformedMessageError) {
      code = 'malformed'
      status = 400
    }
    const body: { code: string; msg: string; meta?: Record<string, string> } = { code, msg: error.message }
    if (Object.keys(meta).length > 0) body.meta = meta
    return { status, headers, body: JSON.stringify(body) }
  },
}

function twirpHeaders(exchange: Exchange, contentType: string): Record<string, string> {
  const headers: Record<string, string> = { [headerContentType]: contentType }
  copyMetadata(headers, exchange.responseHeader)
  copyMetadata(headers, exchange.responseTrailer)
  return headers
}

/** True when the path is `<prefix>/pkg.Service/Method`, allowing a stage or base path in front of the prefix. */
export function isTwirpPath(path: string, prefix: string): boolean {
  if (prefix === '' || !path.includes(prefix)) return false
  const lastSlash = path.lastIndexOf('/')
  const serviceSlash = lastSlash <= 0 ? -1 : path.lastIndexOf('/', lastSlash - 1)
  return serviceSlash > 0 && path.endsWith(prefix, serviceSlash)
}
