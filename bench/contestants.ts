/**
 * The four contestants of the benchmark, each a Lambda handler `(event, context) => Promise<result>` for an HTTP API
 * v2 event. The floor and the connect-es adapter live in their own modules, so that the cold-start entries import
 * only what they measure.
 */
import middy from '@middy/core'
import { grpcFraming, type GrpcFramingOptions } from '../src/index.js'
import type { LambdaHandler } from './floor.js'

export { floorHandler, type LambdaHandler } from './floor.js'
export { connectLambdaHandler } from './connect-adapter.js'

// ---------------------------------------------------------------------------------------------------------------
// (b) Bare Middy around the floor, (c) middy-grpc.
// ---------------------------------------------------------------------------------------------------------------

export function bareMiddyHandler(floor: LambdaHandler): LambdaHandler {
  return middy().handler(floor) as unknown as LambdaHandler
}

export function middyGrpcHandler(options: GrpcFramingOptions, impl: (request: any) => any): LambdaHandler {
  return middy()
    .use(grpcFraming(options))
    .handler(async (event: any) => impl(event.message)) as unknown as LambdaHandler
}

// ---------------------------------------------------------------------------------------------------------------
// Events and context.
// ---------------------------------------------------------------------------------------------------------------

/** An HTTP API (v2) event, as API Gateway delivers it. */
export function httpApiEvent(
  path: string,
  headers: Record<string, string>,
  body: string,
  isBase64Encoded: boolean,
): any {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(body.length),
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'bench',
      'x-amzn-trace-id': 'Root=1-00000000-000000000000000000000000',
      'x-forwarded-for': '192.0.2.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'bench' },
      requestId: 'id',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1735689600000,
    },
    body,
    isBase64Encoded,
  }
}

/** A Lambda context: Middy arms its early-timeout timer from getRemainingTimeInMillis, as it does on Lambda. */
export const lambdaContext = {
  functionName: 'bench',
  awsRequestId: 'bench-request',
  getRemainingTimeInMillis: () => 29_000,
}
