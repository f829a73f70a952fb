import type { HttpResponse } from '../event.js'
import { GrpcError } from '../grpc-error.js'
import { Status, connectCodeName, type StatusCode } from '../status.js'
import { copyMetadata } from './grpc-common.js'
import type { Exchange, Protocol } from './protocol.js'

// Index = status code: Twirp's HTTP status for each error code.
const twirpHttpStatuses = [200, 408, 500, 400, 408, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401]

export function twirpHttpStatus(code: StatusCode): number {
  return twirpHttpStatuses[code]
}

export const twirpContentTypes = ['application/protobuf', 'application/json']

/**
 * Twirp v7: `POST [prefix]/pkg.Service/Method` with a bare protobuf or JSON body, JSON errors `{code, msg, meta}`.
 * No timeouts, compression or trailers; trailers the handler sets go out as headers. JSON replies use the .proto
 * field names, as the Go server does.
 */
export const twirp: Protocol = {
  name: 'twirp',
  replyOffset: 0,
  readRequest(exchange) {
    const { http, options } = exchange
    if (http.method !== 'POST' || !twirpContentTypes.includes(exchange.contentType)) {
      exchange.routeNotFound = true
      throw new GrpcError(
        Status.UNIMPLEMENTED,
        `unsupported ${http.method} with content-type "${exchange.contentType}"`,
      )
    }
    if (http.body.byteLength > options.readMaxBytes) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `message size ${http.body.byteLength} is larger than the limit ${options.readMaxBytes}`,
      )
    }
    exchange.jsonProtoNames = !options.twirpLowerCamelJson
    return { timeoutMs: undefined, message: http.body, responseCompression: null }
  },
  writeReply(exchange, reply) {
    return { status: 200, headers: twirpHeaders(exchange, exchange.contentType), body: reply }
  },
  writeError(exchange, error): HttpResponse {
    const headers = twirpHeaders(exchange, 'application/json')
    const meta: Record<string, string> = {}
    copyMetadata(meta, error.metadata)
    let code = connectCodeName(error.code)
    let status = twirpHttpStatus(error.code)
    if (exchange.routeNotFound) {
      code = 'bad_route'
      status = 404
      meta.twirp_invalid_route = `${exchange.http.method} ${exchange.http.path}`
    } else if (exchange.malformedRequest) {
      code = 'malformed'
      status = 400
    }
    const body: { code: string; msg: string; meta?: Record<string, string> } = { code, msg: error.message }
    if (Object.keys(meta).length > 0) body.meta = meta
    return { status, headers, body: JSON.stringify(body) }
  },
}

function twirpHeaders(exchange: Exchange, contentType: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType }
  const metadata = exchange.call?.peekResponseMetadata()
  copyMetadata(headers, metadata?.header)
  copyMetadata(headers, metadata?.trailer)
  return headers
}

/** True when the path is `<prefix>/pkg.Service/Method`, allowing a stage or base path in front of the prefix. */
export function isTwirpPath(path: string, prefix: string): boolean {
  if (prefix === '' || !path.includes(prefix)) return false
  const lastSlash = path.lastIndexOf('/')
  const serviceSlash = lastSlash <= 0 ? -1 : path.lastIndexOf('/', lastSlash - 1)
  return serviceSlash > 0 && path.endsWith(prefix, serviceSlash)
}
