import type { MiddlewareObj, Request } from '@middy/core'
import { detectEventShape, readHttpRequest, writeLambdaResult, type LambdaHttpEvent, type LambdaHttpResult } from '../event.js'
import { getState, type GrpcInternal } from './state.js'

/**
 * Normalizes the Lambda HTTP event (API Gateway REST v1, HTTP API v2, ALB single- and multi-value, Function URL)
 * into `request.internal.grpc.http` with the body base64-decoded, and writes the response back in the same shape.
 */
export function grpcHttpEvent(): MiddlewareObj<LambdaHttpEvent, LambdaHttpResult, Error, any, GrpcInternal> {
  const grpcHttpEventBefore = (request: Request<LambdaHttpEvent, LambdaHttpResult, Error, any, GrpcInternal>): void => {
    const shape = detectEventShape(request.event)
    if (shape === undefined) {
      throw new TypeError('middy-grpc: the event is not an HTTP event of API Gateway, ALB or a Function URL')
    }
    request.internal.grpc = { event: request.event, shape, http: readHttpRequest(request.event, shape) }
  }

  const grpcHttpEventAfter = (request: Request<LambdaHttpEvent, LambdaHttpResult, Error, any, GrpcInternal>): void => {
    const state = getState(request)
    if (state?.response !== undefined) request.response = writeLambdaResult(state.shape, state.response)
  }

  return { before: grpcHttpEventBefore, after: grpcHttpEventAfter, onError: grpcHttpEventAfter }
}
