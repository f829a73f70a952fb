import { randomUUID } from 'node:crypto'
import { decodeQueryComponent } from '../event/read.js'
import type { EventShape, LambdaHttpEvent } from '../event/shape.js'

/** An HTTP request as a local server receives it. */
export interface IncomingHttpRequest {
  method: string
  /** Path and query, as on the request line. */
  url: string
  /** Raw header pairs, in order, names as sent. */
  headers: readonly (readonly [string, string])[]
  body: Uint8Array
  remoteAddress?: string
}

// HTTP API and Function URLs pass these through as text and base64-encode everything else; `+json` types such as
// application/grpc-web+json are not among them.
const textContentType = /^(text\/[^;]*|application\/(json|javascript|xml|yaml|x-www-form-urlencoded))\s*(;|$)/i

export interface ToLambdaEventOptions {
  /** `requestContext.protocol` / `requestContext.http.protocol`. Default `HTTP/1.1`. */
  protocol?: string
  /** `requestContext.requestId`. Default a random UUID. */
  requestId?: string
}

/**
 * Builds the event a Lambda front door would deliver for a request. REST APIs are modelled with binaryMediaTypes
 * `*\/*` (every body base64), the setting the README recommends.
 */
export function toLambdaEvent(
  request: IncomingHttpRequest,
  shape: EventShape,
  options: ToLambdaEventOptions = {},
): LambdaHttpEvent {
  const question = request.url.indexOf('?')
  const path = question === -1 ? request.url : request.url.slice(0, question)
  const rawQuery = question === -1 ? '' : request.url.slice(question + 1)
  const contentType = request.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? ''
  const hasBody = request.body.byteLength > 0
  const requestId = options.requestId ?? randomUUID()
  const protocol = options.protocol ?? 'HTTP/1.1'
  const sourceIp = request.remoteAddress ?? '127.0.0.1'
  const now = Date.now()

  if (shape === 'v2' || shape === 'url') {
    // A Map, so that header names such as `constructor` or `__proto__` are ordinary names.
    const joined = new Map<string, string>()
    const cookies: string[] = []
    for (const [name, value] of request.headers) {
      const key = name.toLowerCase()
      if (key === 'cookie') cookies.push(...value.split(/;\s*/))
      else joined.set(key, joined.has(key) ? `${joined.get(key)},${value}` : value)
    }
    const headers: Record<string, string> = Object.fromEntries(joined)
    const asText = isTextBody(request.headers, contentType)
    const queryStringParameters = groupQuery(rawQuery, true, (values) => values.join(','))
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: rawQuery,
      ...(cookies.length > 0 ? { cookies } : {}),
      headers,
      ...(queryStringParameters ? { queryStringParameters } : {}),
      requestContext: {
        accountId: shape === 'url' ? 'anonymous' : '123456789012',
        apiId: 'local',
        domainName: shape === 'url' ? 'local.lambda-url.us-east-1.on.aws' : 'local.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'local',
        http: { method: request.method, path, protocol, sourceIp, userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey: '$default',
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      ...(hasBody ? { body: Buffer.from(request.body).toString(asText ? 'utf8' : 'base64') } : {}),
      isBase64Encoded: hasBody && !asText,
    }
  }

  const grouped = new Map<string, string[]>()
  for (const [name, value] of request.headers) {
    // ALB lower-cases header names; API Gateway REST keeps them as sent.
    const key = shape === 'v1' ? name : name.toLowerCase()
    const values = grouped.get(key)
    if (values === undefined) grouped.set(key, [value])
    else values.push(value)
  }
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(grouped)
  const headers: Record<string, string> = Object.fromEntries(
    [...grouped].map(([name, values]) => [name, values[values.length - 1]]),
  )

  if (shape === 'v1') {
    const stage = 'local'
    return {
      resource: '/{proxy+}',
      path,
      httpMethod: request.method,
      headers,
      multiValueHeaders,
      queryStringParameters: groupQuery(rawQuery, true, (values) => values[values.length - 1]),
      multiValueQueryStringParameters: groupQuery(rawQuery, true, (values) => values),
      pathParameters: { proxy: path.slice(1) },
      stageVariables: null,
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        authorizer: undefined,
        httpMethod: request.method,
        identity: { sourceIp, userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null } as never,
        path: `/${stage}${path}`,
        protocol,
        requestId,
        requestTimeEpoch: now,
        resourceId: 'local',
        resourcePath: '/{proxy+}',
        stage,
      },
      body: hasBody ? Buffer.from(request.body).toString('base64') : null,
      isBase64Encoded: hasBody,
    }
  }

  const asText = isTextBody(request.headers, contentType)
  const body = hasBody ? Buffer.from(request.body).toString(asText ? 'utf8' : 'base64') : ''
  const requestContext = {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/local/0' },
  }
  // ALB passes query strings through still URL-encoded.
  return shape === 'alb-multi'
    ? {
        requestContext,
        httpMethod: request.method,
        path,
        multiValueQueryStringParameters: groupQuery(rawQuery, false, (values) => values) ?? {},
        multiValueHeaders,
        body,
        isBase64Encoded: hasBody && !asText,
      }
    : {
        requestContext,
        httpMethod: request.method,
        path,
        queryStringParameters: groupQuery(rawQuery, false, (values) => values[values.length - 1]) ?? {},
        headers,
        body,
        isBase64Encoded: hasBody && !asText,
      }
}

/** Assumed: a compressed body is never passed as text, whatever its content-type. */
function isTextBody(headers: IncomingHttpRequest['headers'], contentType: string): boolean {
  const encoding = headers.find(([name]) => name.toLowerCase() === 'content-encoding')?.[1]
  return textContentType.test(contentType) && (encoding === undefined || encoding === 'identity')
}

function groupQuery<T>(rawQuery: string, decode: boolean, pick: (values: string[]) => T): Record<string, T> | null {
  if (rawQuery === '') return null
  const grouped = new Map<string, string[]>()
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    let name = equals === -1 ? pair : pair.slice(0, equals)
    let value = equals === -1 ? '' : pair.slice(equals + 1)
    if (decode) {
      name = decodeQueryComponent(name)
      value = decodeQueryComponent(value)
    }
    const values = grouped.get(name)
    if (values === undefined) grouped.set(name, [value])
    else values.push(value)
  }
  return Object.fromEntries([...grouped].map(([name, values]) => [name, pick(values)]))
}
