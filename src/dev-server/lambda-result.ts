import type { EventShape } from '../event/shape.js'

/** An HTTP response taken out of a Lambda result. */
export interface OutgoingHttpResponse {
  status: number
  headers: [string, string][]
  body: Buffer
}

/** Takes the HTTP response out of a Lambda result in the event's shape. */
export function fromLambdaResult(result: unknown, shape: EventShape): OutgoingHttpResponse {
  const value = result as {
    statusCode?: number
    headers?: Record<string, string | number | boolean>
    multiValueHeaders?: Record<string, (string | number | boolean)[]>
    cookies?: string[]
    body?: string
    isBase64Encoded?: boolean
  }
  const headers: [string, string][] = []
  // A multi-value ALB target group reads only multiValueHeaders; REST APIs merge both.
  if (shape !== 'alb-multi') {
    for (const [name, v] of Object.entries(value.headers ?? {})) {
      if (shape === 'v1' && value.multiValueHeaders?.[name] !== undefined) continue
      headers.push([name, String(v)])
    }
  }
  if (shape === 'v1' || shape === 'alb-multi') {
    for (const [name, values] of Object.entries(value.multiValueHeaders ?? {})) {
      for (const v of values) headers.push([name, String(v)])
    }
  }
  for (const cookie of value.cookies ?? []) headers.push(['set-cookie', cookie])
  const body =
    value.body === undefined ? Buffer.alloc(0) : Buffer.from(value.body, value.isBase64Encoded ? 'base64' : 'utf8')
  return { status: value.statusCode ?? 200, headers, body }
}

/** A Lambda result as the front door reads it: an HTTP response, or the reason the front door rejects it. */
export type LambdaResultCheck =
  | { ok: true; response: OutgoingHttpResponse; notes: string[] }
  | { ok: false; reason: string }

const base64Text = /^[A-Za-z0-9+/\s]*={0,2}\s*$/

/**
 * Validates a Lambda result the way the front door of `shape` would, then reads it with fromLambdaResult. HTTP API
 * (v2) and Function URLs infer a 200 `application/json` response from a result without `statusCode`; REST APIs and
 * ALB reject it. `undefined` and `null` are rejected everywhere: they are nearly always a handler bug.
 */
export function checkLambdaResult(result: unknown, shape: EventShape): LambdaResultCheck {
  if (result === undefined || result === null) return { ok: false, reason: `the handler returned ${String(result)}` }
  const infers = shape === 'v2' || shape === 'url'
  if (typeof result !== 'object' || Array.isArray(result) || !('statusCode' in result)) {
    if (!infers) {
      return { ok: false, reason: `the result must be an object with a statusCode, got ${describe(result)}` }
    }
    const body = typeof result === 'string' ? result : JSON.stringify(result)
    return {
      ok: true,
      response: { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) },
      notes: [
        `the result has no statusCode: answered 200 application/json with the result as body, as HTTP API and Function URLs do`,
      ],
    }
  }
  const value = result as Record<string, unknown>
  const { statusCode, body, headers, multiValueHeaders, isBase64Encoded, cookies } = value
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { ok: false, reason: `statusCode must be an integer from 100 to 599, got ${describe(statusCode)}` }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return { ok: false, reason: `body must be a string, got ${describe(body)}` }
  }
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') {
    return { ok: false, reason: `isBase64Encoded must be a boolean, got ${describe(isBase64Encoded)}` }
  }
  if (isBase64Encoded === true && typeof body === 'string' && !base64Text.test(body)) {
    return { ok: false, reason: 'isBase64Encoded is true but body is not base64' }
  }
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers))
      return { ok: false, reason: `headers must be an object, got ${describe(headers)}` }
    for (const [name, v] of Object.entries(headers)) {
      if (!isScalar(v))
        return { ok: false, reason: `header "${name}" must be a string, number or boolean, got ${describe(v)}` }
    }
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object' || Array.isArray(multiValueHeaders)) {
      return { ok: false, reason: `multiValueHeaders must be an object, got ${describe(multiValueHeaders)}` }
    }
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isScalar)) {
        return { ok: false, reason: `multiValueHeaders "${name}" must be an array of strings, got ${describe(values)}` }
      }
    }
  }
  if (cookies !== undefined && (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string'))) {
    return { ok: false, reason: `cookies must be an array of strings, got ${describe(cookies)}` }
  }
  const notes: string[] = []
  if (shape === 'alb-multi' && headers && Object.keys(headers).length > 0) {
    notes.push('a multi-value ALB target group ignores `headers`: use multiValueHeaders')
  }
  if (
    (shape === 'alb' || shape === 'v2' || shape === 'url') &&
    multiValueHeaders &&
    Object.keys(multiValueHeaders).length > 0
  ) {
    notes.push(`the ${shape} front door ignores \`multiValueHeaders\`: use headers`)
  }
  if (cookies !== undefined && shape !== 'v2' && shape !== 'url')
    notes.push(`the ${shape} front door ignores \`cookies\``)
  // fromLambdaResult reads only the header fields the shape's front door reads; cookies exist only for v2 and URLs.
  const readable = shape === 'v2' || shape === 'url' ? value : { ...value, cookies: undefined }
  return { ok: true, response: fromLambdaResult(readable, shape), notes }
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

/**
 * The response a front door gives when the function failed, timed out or returned a malformed result: API Gateway's
 * 502 `{"message": "Internal server error"}` (used for Function URLs too), ALB's 502 page.
 */
export function functionErrorResponse(shape: EventShape): OutgoingHttpResponse {
  if (shape !== 'alb' && shape !== 'alb-multi') {
    return {
      status: 502,
      headers: [['content-type', 'application/json']],
      body: Buffer.from('{"message":"Internal server error"}'),
    }
  }
  const html =
    '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n'
  return { status: 502, headers: [['content-type', 'text/html']], body: Buffer.from(html) }
}
