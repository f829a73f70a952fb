import { corsExposedHeaders } from '../cors.js'
import { headerGrpcAcceptEncoding } from '../protocol/headers.js'
import { headerValue } from './http-exchange.js'

const corsSafelisted = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
])

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string, headers: readonly (readonly [string, string])[]): boolean {
  return (
    method === 'OPTIONS' &&
    headerValue(headers, 'origin') !== undefined &&
    headerValue(headers, 'access-control-request-method') !== undefined
  )
}

/** The answer to a preflight, as an HTTP API with CORS configured gives it: the requested headers allowed. */
export function preflightHeaders(headers: readonly (readonly [string, string])[]): [string, string][] {
  const requested = headerValue(headers, 'access-control-request-headers')
  return [
    ['access-control-allow-origin', headerValue(headers, 'origin') ?? '*'],
    ['access-control-allow-methods', 'GET, POST, OPTIONS'],
    ['access-control-allow-headers', requested !== undefined && requested.trim() !== '' ? requested : '*'],
    ['access-control-max-age', '7200'],
    ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
  ]
}

/**
 * CORS headers on a response to `requestHeaders`, unless the handler set its own (e.g. with @middy/http-cors): the
 * gRPC status fields and every response header that is not safelisted are exposed.
 */
export function addCorsHeaders(
  headers: [string, string][],
  requestHeaders: readonly (readonly [string, string])[],
): void {
  const origin = headerValue(requestHeaders, 'origin')
  if (origin === undefined || headerValue(headers, 'access-control-allow-origin') !== undefined) return
  const exposed = new Set<string>([...corsExposedHeaders, headerGrpcAcceptEncoding])
  for (const [name] of headers) {
    const key = name.toLowerCase()
    if (!corsSafelisted.has(key) && !key.startsWith('access-control-')) exposed.add(key)
  }
  headers.push(
    ['access-control-allow-origin', origin],
    ['access-control-expose-headers', [...exposed].join(', ')],
    ['vary', 'Origin'],
  )
}
