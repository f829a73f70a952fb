import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, ALBEvent } from 'aws-lambda'
import type { EventShape, HttpRequest, LambdaHttpEvent } from './shape.js'

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

function decodeBody(body: unknown, isBase64Encoded: boolean | undefined): Uint8Array {
  if (body === null || body === undefined || body === '') return new Uint8Array(0)
  // Every front door sends a string. Anything else (an array, `{ type: 'Buffer', data }`, `{ length: 1e8 }`) is
  // refused before it is touched: Buffer.from would copy it, or allocate the length it claims.
  if (typeof body !== 'string') throw new TypeError('middy-grpc: the event body is not a string')
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
