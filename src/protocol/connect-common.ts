import { type Compression, findRequestCompression, negotiateResponseCompression } from '../compression.js'
import { GrpcError } from '../grpc-error.js'
import { encodeBinaryHeader } from '../metadata.js'
import { Status, connectCodeName } from '../status.js'
import { parseConnectTimeout } from '../timeout.js'
import { headerConnectProtocolVersion, headerConnectTimeout } from './headers.js'
import type { Exchange } from './protocol.js'

/** What Connect's request headers say, for unary and streaming alike (they differ in the encoding headers' names). */
export interface ConnectRequestHeaders {
  timeoutMs: number | undefined
  requestCompression: Compression | null
  responseCompression: Compression | null
}

/**
 * Reads a Connect POST's headers: `connect-protocol-version` (required only with `requireConnectProtocolHeader`),
 * `connect-timeout-ms`, and the request and accepted encodings from the two headers named.
 */
export function readConnectHeaders(
  exchange: Exchange,
  encodingHeader: string,
  acceptEncodingHeader: string,
): ConnectRequestHeaders {
  const { headers } = exchange.http
  checkProtocolVersion(
    headers[headerConnectProtocolVersion],
    '1',
    exchange.options.requireConnectProtocolHeader,
    headerConnectProtocolVersion,
  )
  const timeoutMs = parseConnectTimeout(headers[headerConnectTimeout])
  const requestCompression = findRequestCompression(headers[encodingHeader])
  const responseCompression = negotiateResponseCompression(headers[acceptEncodingHeader], requestCompression)
  return { timeoutMs, requestCompression, responseCompression }
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
