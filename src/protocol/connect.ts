import { findRequestCompression, negotiateResponseCompression, type Compression } from '../compression.js'
import type { HttpResponse } from '../event.js'
import { GrpcError } from '../grpc-error.js'
import { type Metadata, encodeBinaryHeader } from '../metadata.js'
import { Status, codeToHttpStatus, connectCodeName } from '../status.js'
import { parseConnectTimeout } from '../timeout.js'
import { copyMetadata } from './grpc-common.js'
import type { Exchange, Protocol, ProtocolRequest } from './protocol.js'

const supportedEncodings = 'gzip, deflate'

/**
 * Connect unary: a bare message in the body (POST) or the query string (GET, for methods without side effects);
 * the status is the HTTP status, errors are JSON, and trailers travel as `trailer-` headers. Nothing needs HTTP
 * trailers, so every Lambda front door carries it, and GET replies can be cached by CloudFront or API Gateway.
 */
export const connect: Protocol = {
  name: 'connect',
  replyOffset: 0,
  readRequest(exchange) {
    return exchange.http.method === 'GET' ? readGetRequest(exchange) : readPostRequest(exchange)
  },
  writeReply(exchange, reply) {
    const headers: Record<string, string> = { 'content-type': exchange.contentType }
    if (exchange.http.method === 'GET') headers.vary = 'Accept-Encoding'
    let body = reply
    const compression = exchange.responseCompression
    if (compression !== null && reply.byteLength >= exchange.options.compressMinBytes) {
      body = compression.compress(reply)
      headers['content-encoding'] = compression.name
    }
    copyMetadata(headers, exchange.call?.peekResponseMetadata().header)
    copyTrailers(headers, exchange.call?.peekResponseMetadata().trailer)
    return { status: 200, headers, body }
  },
  writeError(exchange, error): HttpResponse {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (error.code === Status.UNIMPLEMENTED) headers['accept-encoding'] = supportedEncodings
    const metadata = exchange.call?.peekResponseMetadata()
    copyMetadata(headers, metadata?.header)
    copyMetadata(headers, error.metadata)
    copyTrailers(headers, metadata?.trailer)
    return {
      // An unknown path is a 404 (the conformance suite checks it); a declared method without handler stays 501.
      status: exchange.routeNotFound ? 404 : codeToHttpStatus(error.code),
      headers,
      body: JSON.stringify(connectErrorJson(error)),
    }
  },
}

/** `{"code","message","details":[{"type","value"}]}`: no message key when empty, values unpadded base64. */
export function connectErrorJson(error: GrpcError): object {
  const json: { code: string; message?: string; details?: { type: string; value: string }[] } = {
    code: connectCodeName(error.code),
  }
  if (error.message !== '') json.message = error.message
  if (error.details.length > 0) {
    json.details = error.details.map((detail) => ({ type: detail.type, value: encodeBinaryHeader(detail.value) }))
  }
  return json
}

function copyTrailers(headers: Record<string, string>, trailers: Metadata | undefined): void {
  if (trailers === undefined || trailers.size === 0) return
  const prefixed: Record<string, string> = {}
  copyMetadata(prefixed, trailers)
  for (const name of Object.keys(prefixed)) headers[`trailer-${name}`] = prefixed[name]
}

export function checkProtocolVersion(
  version: string | undefined,
  expected: string,
  required: boolean,
  what: string,
): void {
  if (version === undefined ? required : version !== expected) {
    throw new GrpcError(
      Status.INVALID_ARGUMENT,
      version === undefined ? `missing ${what}` : `unsupported ${what} "${version}": want "${expected}"`,
    )
  }
}

function readPostRequest(exchange: Exchange): ProtocolRequest {
  const { headers, body } = exchange.http
  const { options } = exchange
  checkProtocolVersion(
    headers['connect-protocol-version'],
    '1',
    options.requireConnectProtocolHeader,
    'connect-protocol-version',
  )
  const timeoutMs = parseConnectTimeout(headers['connect-timeout-ms'])
  const requestCompression = findRequestCompression(headers['content-encoding'])
  return {
    timeoutMs,
    message: readBareMessage(body, requestCompression, options.readMaxBytes),
    responseCompression: negotiateResponseCompression(headers['accept-encoding'], requestCompression),
  }
}

function readGetRequest(exchange: Exchange): ProtocolRequest {
  const { headers, query } = exchange.http
  const { options } = exchange
  checkProtocolVersion(query.connect, 'v1', options.requireConnectProtocolHeader, 'query parameter connect')
  const timeoutMs = parseConnectTimeout(headers['connect-timeout-ms'])
  if (query.encoding === undefined) throw new GrpcError(Status.INVALID_ARGUMENT, 'missing query parameter encoding')
  if (query.message === undefined) throw new GrpcError(Status.INVALID_ARGUMENT, 'missing query parameter message')
  const message = query.base64 === '1' ? decodeBase64Url(query.message) : Buffer.from(query.message, 'utf8')
  const requestCompression = findRequestCompression(query.compression)
  return {
    timeoutMs,
    message: readBareMessage(message, requestCompression, options.readMaxBytes),
    responseCompression: negotiateResponseCompression(headers['accept-encoding'], null),
  }
}

/** The limit applies to the decompressed message; an empty body is never decompressed. */
function readBareMessage(body: Uint8Array, compression: Compression | null, readMaxBytes: number): Uint8Array {
  if (compression === null || body.byteLength === 0) {
    if (body.byteLength > readMaxBytes) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `message size ${body.byteLength} is larger than the limit ${readMaxBytes}`,
      )
    }
    return body
  }
  return compression.decompress(body, readMaxBytes)
}

const base64UrlText = /^[A-Za-z0-9_-]*={0,2}$/

function decodeBase64Url(text: string): Uint8Array {
  if (!base64UrlText.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new GrpcError(Status.INVALID_ARGUMENT, 'query parameter message is not URL-safe base64')
  }
  return Buffer.from(text, 'base64url')
}
