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

/** What a bare `--cors` (`cors: true`) allows: pages served from this machine, on any port. */
export const corsLocalOrigins = ['http://localhost:*', 'http://127.0.0.1:*'] as const

/**
 * Whether `origin` is one of `allowed`: an exact origin (`http://localhost:5173`), or one ending in `:*` for any port
 * (or none) of that scheme and host.
 */
export function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  const lower = origin.toLowerCase()
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase()
    if (!pattern.endsWith(':*')) return lower === pattern
    const base = pattern.slice(0, -2)
    return lower === base || (lower.startsWith(`${base}:`) && /^\d{1,5}$/.test(lower.slice(base.length + 1)))
  })
}

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
