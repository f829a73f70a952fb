import { randomBytes, randomUUID } from 'node:crypto'
import type { EventShape, LambdaHttpEvent } from '../event/shape.js'
import type { HttpVersion } from './http-exchange.js'
import { type IncomingHttpRequest, toLambdaEvent } from './lambda-event.js'

/** Lambda's invoke payload limit (request and buffered response, 6 MB) and ALB's 1 MB limit on both. */
const lambdaPayloadMaxBytes = 6 * 1024 * 1024
const albMaxBytes = 1024 * 1024

/**
 * The default `requestMaxBytes`: a little over the largest request a front door accepts (API Gateway's 10 MB
 * payload), so that every request a front door would pass reaches the emulation, where its own limits are reported.
 */
export const requestMaxBytesDefault = 10 * 1024 * 1024 + 64 * 1024

/** Hop-by-hop headers: a front door consumes them, the function never sees them. */
const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/**
 * The event the front door of `shape` delivers for a request, and what that front door would refuse about it (notes
 * for the log: the request still reaches the handler, so that the handler can be debugged).
 */
export function toFrontDoorEvent(
  request: IncomingHttpRequest,
  shape: EventShape,
  httpVersion: HttpVersion,
): { event: LambdaHttpEvent; notes: string[] } {
  const event = toLambdaEvent(withForwardedHeaders(request), shape, {
    protocol: httpVersion === 'HTTP/2' ? 'HTTP/2.0' : 'HTTP/1.1',
    requestId: randomUUID(),
  })
  const notes: string[] = []
  const eventBytes = Buffer.byteLength(JSON.stringify(event))
  if (eventBytes > lambdaPayloadMaxBytes)
    notes.push(
      `the event is ${eventBytes} bytes: Lambda rejects invoke payloads over 6 MB (413 Request Entity Too Large)`,
    )
  if ((shape === 'alb' || shape === 'alb-multi') && request.body.byteLength > albMaxBytes)
    notes.push(`the request body is ${request.body.byteLength} bytes: ALB rejects Lambda request bodies over 1 MB`)
  return { event, notes }
}

/** What the front door of `shape` would do about a buffered result of this size (notes for the log). */
export function resultSizeNotes(result: unknown, shape: EventShape): string[] {
  const resultBytes = Buffer.byteLength(JSON.stringify(result) ?? '')
  if (resultBytes > lambdaPayloadMaxBytes)
    return [`the result is ${resultBytes} bytes: Lambda fails responses over 6 MB, the client would get a 502`]
  if ((shape === 'alb' || shape === 'alb-multi') && resultBytes > albMaxBytes)
    return [`the result is ${resultBytes} bytes: ALB answers 502 to Lambda responses over 1 MB`]
  return []
}

/** The request as the function sees it: hop-by-hop headers gone, what API Gateway and ALB add added. */
function withForwardedHeaders(request: IncomingHttpRequest): IncomingHttpRequest {
  const headers = request.headers.filter(([name]) => !hopByHopHeaders.has(name.toLowerCase()))
  const present = new Set(headers.map(([name]) => name.toLowerCase()))
  const added: [string, string][] = []
  const address = (request.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  if (!present.has('x-forwarded-for')) added.push(['X-Forwarded-For', address])
  if (!present.has('x-forwarded-proto')) added.push(['X-Forwarded-Proto', 'http'])
  if (!present.has('x-amzn-trace-id')) {
    const epoch = Math.floor(Date.now() / 1000).toString(16)
    added.push(['X-Amzn-Trace-Id', `Root=1-${epoch}-${randomBytes(12).toString('hex')}`])
  }
  return { ...request, headers: [...headers, ...added] }
}
