import type { Request } from '@middy/core'
import { httpFixtures, loadEvent } from '../../fixtures/load-event.js'

/** A Middy request as Middy hands it to a hook: an HTTP API (v2) event with a gRPC-Web body, a Lambda context. */
export function middyRequest(
  body: Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/grpc-web+proto' },
  path = '/unit.v1.Items/Get',
): Request<any, any, any, any, any> {
  const event = loadEvent(httpFixtures.v2) as Record<string, unknown> & { headers: Record<string, string> }
  event.body = Buffer.from(body).toString('base64')
  event.isBase64Encoded = true
  event.rawPath = path
  event.headers = { ...event.headers, ...headers }
  return {
    event,
    context: { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 },
    response: undefined,
    error: undefined,
    internal: {},
  } as never
}
