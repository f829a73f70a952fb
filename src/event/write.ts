import type * as Stream from 'node:stream'
import { lazyBuiltin } from '../lazy-builtin.js'
import type { EventShape, HttpResponse, LambdaHttpResult, StreamingResult } from './shape.js'

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

// Loaded on the first streamed result: Middy 7 no longer loads node:stream, which took ~0.9 ms of CPU from a cold
// start (import and first call, median of 60 interleaved processes, Node 24).
const loadStream = lazyBuiltin<typeof Stream>('node:stream')

/** Through Lambda response streaming, bodies go out raw and headers single-valued, whatever the event's shape. */
export function writeStreamingResult(response: HttpResponse): StreamingResult {
  const { body } = response
  return {
    statusCode: response.status,
    headers: response.headers,
    body: typeof body === 'string' ? body : loadStream().Readable.from(body instanceof Uint8Array ? [body] : body),
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
