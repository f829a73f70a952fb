import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  LambdaFunctionURLEvent,
} from 'aws-lambda'
import type { Readable } from 'node:stream'

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
  /** Lets the codec reuse the body's memory, once the body has been written out (see protocol/frame.ts). */
  releaseBody?: () => void
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
