import {
  type Compression,
  findRequestCompression,
  negotiateResponseCompression,
  supportedEncodings,
} from '../compression.js'
import type { HttpResponse } from '../event/shape.js'
import { GrpcError, RouteNotFoundError, messageTooLarge } from '../grpc-error.js'
import type { Metadata } from '../metadata.js'
import { Status, codeToHttpStatus } from '../status.js'
import { parseConnectTimeout } from '../timeout.js'
import { checkProtocolVersion, connectErrorJson, readConnectHeaders } from './connect-common.js'
import {
  copyMetadata,
  headerAcceptEncoding,
  headerConnectTimeout,
  headerContentEncoding,
  headerContentType,
  headerTrailerPrefix,
  headerVary,
} from './headers.js'
import { encodeBareReply } from './frame.js'
import type { Exchange, Protocol, ProtocolRequest } from './protocol.js'

/**
 * Connect unary: a bare message in the body (POST) or the query string (GET, for methods without side effects);
 * the status is the HTTP status, errors are JSON, and trailers travel as `trailer-` headers. Nothing needs HTTP
 * trailers, so every Lambda front door carries it, and GET replies can be cached by CloudFront or API Gateway.
 */
export const connect: Protocol = {
  name: 'connect',
  readRequest(exchange) {
    return exchange.http.method === 'GET' ? readGetRequest(exchange) : readPostRequest(exchange)
  },
  writeReply(exchange, reply) {
    const headers: Record<string, string> = { [headerContentType]: exchange.contentType }
    if (exchange.http.method === 'GET') headers[headerVary] = 'Accept-Encoding'
    const { body, compressed, release } = encodeBareReply(exchange, reply)
    if (compressed && exchange.responseCompression !== null) {
      headers[headerContentEncoding] = exchange.responseCompression.name
    }
    copyMetadata(headers, exchange.responseHeader)
    copyTrailers(headers, exchange.responseTrailer)
    return { status: 200, headers, body, releaseBody: release }
  },
  writeError(exchange, error): HttpResponse {
    const headers: Record<string, string> = { [headerContentType]: 'application/json' }
    if (error.code === Status.UNIMPLEMENTED) headers[headerAcceptEncoding] = supportedEncodings
    copyMetadata(headers, exchange.responseHeader)
    copyMetadata(headers, error.metadata)
    copyTrailers(headers, exchange.responseTrailer)
    return {
      // An unknown path is a 404 (the conformance suite checks it); a declared method without handler stays 501.
      status: error instanceof RouteNotFoundError ? 404 : codeToHttpStatus(error.code),
      headers,
      body: JSON.stringify(connectErrorJson(error)),
    }
  },
}

function copyTrailers(headers: Record<string, string>, trailers: Metadata | undefined): void {
  if (trailers === undefined || trailers.size === 0) return
  const prefixed: Record<string, string> = {}
  copyMetadata(prefixed, trailers)
  for (const name of Object.keys(prefixed)) headers[`${headerTrailerPrefix}${name}`] = prefixed[name]
}

function readPostRequest(exchange: Exchange): ProtocolRequest {
  const { timeoutMs, requestCompression, responseCompression } = readConnectHeaders(
    exchange,
    headerContentEncoding,
    headerAcceptEncoding,
  )
  const message = readBareMessage(exchange.http.body, requestCompression, exchange.options.readMaxBytes)
  return { timeoutMs, body: { message }, responseCompression }
}

function readGetRequest(exchange: Exchange): ProtocolRequest {
  const { headers, query } = exchange.http
  const { options } = exchange
  checkProtocolVersion(query.connect, 'v1', options.requireConnectProtocolHeader, 'query parameter connect')
  const timeoutMs = parseConnectTimeout(headers[headerConnectTimeout])
  if (query.encoding === undefined) throw new GrpcError(Status.INVALID_ARGUMENT, 'missing query parameter encoding')
  if (query.message === undefined) throw new GrpcError(Status.INVALID_ARGUMENT, 'missing query parameter message')
  const message = query.base64 === '1' ? decodeBase64Url(query.message) : Buffer.from(query.message, 'utf8')
  const requestCompression = findRequestCompression(query.compression)
  return {
    timeoutMs,
    body: { message: readBareMessage(message, requestCompression, options.readMaxBytes) },
    responseCompression: negotiateResponseCompression(headers[headerAcceptEncoding], null),
  }
}

/** The limit applies to the decompressed message; an empty body is never decompressed. */
function readBareMessage(body: Uint8Array, compression: Compression | null, readMaxBytes: number): Uint8Array {
  if (compression === null || body.byteLength === 0) {
    if (body.byteLength > readMaxBytes) throw messageTooLarge(body.byteLength, readMaxBytes)
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
