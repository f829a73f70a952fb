import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  LambdaFunctionURLEvent,
} from 'aws-lambda'
import { Readable } from 'node:stream'

/** The Lambda HTTP front doors: API Gateway REST (v1), HTTP API (v2), Function URL, ALB (single/multi-value). */
export type EventShape = 'v1' | 'v2' | 'url' | 'alb' | 'alb-multi'

export type LambdaHttpEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | LambdaFunctionURLEvent | ALBEvent
export type LambdaHttpResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2 | ALBResult

/** An HTTP request as every front door delivers it, once normalized. */
export interface HttpRequest {
  readonly shape: EventShape
  /** Upper-case. */
  readonly method: string
  readonly path: string
  /** Lower-case names; repeated headers comma-joined. */
  readonly headers: Readonly<Record<string, string | undefined>>
  /** How many headers, and the bytes of their names and values: counted while the headers are read, for the limits. */
  readonly headerCount: number
  readonly headerBytes: number
  /** Decoded query parameters (ALB's still-encoded ones included); the last value wins. */
  readonly query: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array
}

/** An HTTP response before it takes the front door's shape. */
export interface HttpResponse {
  status: number
  /** Lower-case names, single values. */
  headers: Record<string, string>
  /** Bytes travel base64-encoded; a string travels as it is; chunks only through Lambda response streaming. */
  body: Uint8Array | string | AsyncIterable<Uint8Array>
}

/** What a streamified Middy handler returns: Middy writes the prelude and pipes the body into the response stream. */
export interface StreamingResult {
  statusCode: number
  headers: Record<string, string>
  body: Readable | string
}

/** Largest result body (after base64) a buffered front door lets out: Lambda's 6 MB response payload, ALB's 1 MB. */
export function frontDoorMaxBytes(shape: EventShape): number {
  // Headroom for the JSON envelope and headers around the body.
  return (shape === 'alb' || shape === 'alb-multi' ? 1024 * 1024 : 6 * 1024 * 1024) - 16 * 1024
}

export function detectEventShape(event: unknown): EventShape | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const { requestContext } = event as { requestContext?: Record<string, unknown> }
  if (typeof requestContext !== 'object' || requestContext === null) return undefined
  if ('elb' in requestContext) return 'multiValueHeaders' in event ? 'alb-multi' : 'alb'
  if ((event as { version?: unknown }).version === '2.0' && typeof requestContext.http === 'object') {
    return String(requestContext.domainName).includes('.lambda-url.') ? 'url' : 'v2'
  }
  if (typeof (event as { httpMethod?: unknown }).httpMethod === 'string') return 'v1'
  return undefined
}

export function readHttpRequest(event: LambdaHttpEvent, shape: EventShape): HttpRequest {
  const body = decodeBody(event.body, event.isBase64Encoded)
  if (shape === 'v2' || shape === 'url') {
    const v2 = event as APIGatewayProxyEventV2
    const headers = readV2Headers(v2)
    return {
      shape,
      method: v2.requestContext.http.method.toUpperCase(),
      path: v2.rawPath ?? v2.requestContext.http.path,
      headers: headers.headers,
      headerCount: headers.count,
      headerBytes: headers.bytes,
      query: parseQueryString(v2.rawQueryString ?? ''),
      body,
    }
  }
  const v1 = event as APIGatewayProxyEvent | ALBEvent
  const isAlb = shape === 'alb' || shape === 'alb-multi'
  const headers = measureHeaders(readV1Headers(v1.headers, v1.multiValueHeaders))
  return {
    shape,
    method: v1.httpMethod.toUpperCase(),
    path: v1.path ?? '/',
    headers: headers.headers,
    headerCount: headers.count,
    headerBytes: headers.bytes,
    query: readV1Query(v1.queryStringParameters, v1.multiValueQueryStringParameters, isAlb),
    body,
  }
}

interface MeasuredHeaders {
  headers: Record<string, string | undefined>
  count: number
  bytes: number
}

function measureHeaders(headers: Record<string, string | undefined>): MeasuredHeaders {
  let count = 0
  let bytes = 0
  for (const name in headers) {
    count++
    bytes += name.length + (headers[name]?.length ?? 0)
  }
  return { headers, count, bytes }
}

function decodeBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): Uint8Array {
  if (body === null || body === undefined || body === '') return new Uint8Array(0)
  return Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8')
}

function readV2Headers(event: APIGatewayProxyEventV2): MeasuredHeaders {
  // HTTP API and Function URLs already lower-case and comma-join, so the headers are used as they are, measured in
  // the same pass that checks them...
  const headers = event.headers ?? {}
  let count = 0
  let bytes = 0
  for (const name in headers) {
    const value = headers[name]
    // ...unless a middleware in front renamed them (@middy/http-header-normalizer with `canonical: true`), or a
    // hand-made event holds values that are not strings.
    if (typeof value !== 'string' || name !== name.toLowerCase())
      return withCookies(measureHeaders(lowerCaseNames(headers)), event)
    count++
    bytes += name.length + value.length
  }
  return withCookies({ headers, count, bytes }, event)
}

/** Cookies arrive apart from the headers in HTTP API and Function URL events. */
function withCookies(measured: MeasuredHeaders, event: APIGatewayProxyEventV2): MeasuredHeaders {
  if (event.cookies === undefined || event.cookies.length === 0) return measured
  const cookie = event.cookies.join('; ')
  return {
    headers: { ...measured.headers, cookie },
    count: measured.count + 1,
    bytes: measured.bytes + 6 + cookie.length,
  }
}

function lowerCaseNames(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const lowered: Record<string, string | undefined> = Object.create(null)
  for (const name of Object.keys(headers)) {
    const key = name.toLowerCase()
    const value = headers[name]
    if (typeof value !== 'string') continue
    lowered[key] = lowered[key] === undefined ? value : `${lowered[key]},${value}`
  }
  return lowered
}

function readV1Headers(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
): Record<string, string | undefined> {
  // No prototype: headers named `constructor` or `__proto__` are ordinary names here (see SECURITY.md).
  const headers: Record<string, string | undefined> = Object.create(null)
  if (multi) {
    for (const name of Object.keys(multi)) {
      const values = multi[name]
      if (!Array.isArray(values)) continue
      const key = name.toLowerCase()
      const joined = values.join(', ')
      headers[key] = headers[key] === undefined ? joined : `${headers[key]}, ${joined}`
    }
    return headers
  }
  if (single) {
    for (const name of Object.keys(single)) {
      const value = single[name]
      if (typeof value === 'string') headers[name.toLowerCase()] = value
    }
  }
  return headers
}

function readV1Query(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  stillEncoded: boolean,
): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = Object.create(null)
  if (multi) {
    for (const name of Object.keys(multi)) {
      const values = multi[name]
      const last = Array.isArray(values) ? values[values.length - 1] : undefined
      if (typeof last === 'string') query[name] = last
    }
  } else if (single) {
    for (const name of Object.keys(single)) {
      const value = single[name]
      if (typeof value === 'string') query[name] = value
    }
  }
  if (!stillEncoded) return query
  // ALB passes the query string through without URL-decoding it.
  const decoded: Record<string, string | undefined> = Object.create(null)
  for (const name of Object.keys(query)) {
    decoded[decodeQueryComponent(name)] = query[name] === undefined ? undefined : decodeQueryComponent(query[name])
  }
  return decoded
}

// Most RPCs have no query string: they share this one, frozen, instead of a new prototype-less object each.
const emptyQuery: Readonly<Record<string, string | undefined>> = Object.freeze(Object.create(null))

function parseQueryString(raw: string): Readonly<Record<string, string | undefined>> {
  if (raw === '') return emptyQuery
  const query: Record<string, string | undefined> = Object.create(null)
  for (const pair of raw.split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = equals === -1 ? pair : pair.slice(0, equals)
    query[decodeQueryComponent(name)] = equals === -1 ? '' : decodeQueryComponent(pair.slice(equals + 1))
  }
  return query
}

/** Decodes a URL query component (`+` as space); a malformed escape leaves it as it is. */
export function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '))
  } catch {
    return value
  }
}

const reasonPhrases: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** Through Lambda response streaming, bodies go out raw and headers single-valued, whatever the event's shape. */
export function writeStreamingResult(response: HttpResponse): StreamingResult {
  const { body } = response
  return {
    statusCode: response.status,
    headers: response.headers,
    body: typeof body === 'string' ? body : Readable.from(body instanceof Uint8Array ? [body] : body),
  }
}

/** The response in the shape of the event it answers: multi-value headers mirrored, binary bodies base64. */
export function writeLambdaResult(shape: EventShape, response: HttpResponse): LambdaHttpResult {
  if (typeof response.body === 'object' && !(response.body instanceof Uint8Array)) {
    throw new TypeError('middy-grpc: a streamed body needs streamifyResponse')
  }
  const isBinary = typeof response.body !== 'string'
  const body = isBinary ? toBase64(response.body as Uint8Array) : (response.body as string)
  const isBase64Encoded = isBinary && body !== ''
  if (shape === 'v2' || shape === 'url') {
    return { statusCode: response.status, headers: response.headers, body, isBase64Encoded }
  }
  const multiValueHeaders: Record<string, string[]> = {}
  for (const name of Object.keys(response.headers)) multiValueHeaders[name] = [response.headers[name]]
  if (shape === 'v1') {
    return { statusCode: response.status, headers: response.headers, multiValueHeaders, body, isBase64Encoded }
  }
  const statusDescription = `${response.status} ${reasonPhrases[response.status] ?? ''}`.trimEnd()
  // A multi-value target group reads only multiValueHeaders, a single-value one only headers.
  return shape === 'alb-multi'
    ? { statusCode: response.status, statusDescription, multiValueHeaders, body, isBase64Encoded }
    : { statusCode: response.status, statusDescription, headers: response.headers, body, isBase64Encoded }
}

export function toBase64(bytes: Uint8Array): string {
  // protobufjs hands out Buffers on Node: encode them as they are rather than through a new view.
  if (Buffer.isBuffer(bytes)) return bytes.toString('base64')
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Length of the base64 text of `byteLength` bytes, padded. */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4
}
