import type { MiddlewareObj, Request } from '@middy/core'
import {
  detectEventShape,
  readHttpRequest,
  writeLambdaResult,
  writeStreamingResult,
  type EventShape,
  type HttpRequest,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  type StreamingResult,
} from '../event.js'
import { NonRpcResponse } from '../protocol/detect.js'
import { getState, newState, setState } from './state.js'

export interface GrpcHttpEventOptions {
  /**
   * The Middy handler is streamified (Middy 6 `streamifyResponse: true`, Middy 7 `executionModeStreamifyResponse`):
   * results are `{ statusCode, headers, body: Readable }` with raw bytes. Default false.
   */
  streamifyResponse?: boolean
}

/**
 * Normalizes the Lambda HTTP event (API Gateway REST v1, HTTP API v2, ALB single- and multi-value, Function URL)
 * into method, path, lower-case headers, decoded query and base64-decoded body for the next steps, and writes the
 * response back in the same shape.
 */
export function grpcHttpEvent(
  opts: GrpcHttpEventOptions = {},
): MiddlewareObj<LambdaHttpEvent, LambdaHttpResult | StreamingResult, Error, any> {
  const streaming = opts.streamifyResponse === true
  const grpcHttpEventBefore = (
    request: Request<LambdaHttpEvent, LambdaHttpResult | StreamingResult, Error, any>,
  ): void => {
    const shape = detectEventShape(request.event)
    if (shape === undefined) {
      throw new TypeError('middy-grpc: the event is not an HTTP event of API Gateway, ALB or a Function URL')
    }
    let http: HttpRequest
    try {
      http = readHttpRequest(request.event, shape)
      if (typeof http.path !== 'string') throw new TypeError('path')
    } catch {
      // Shaped like an HTTP event but with fields missing or of the wrong type: no front door sends that, so it
      // gets a plain 400 in the event's shape rather than an invocation error.
      setState(request, newState(shape, emptyRequest(shape)))
      throw new NonRpcResponse(400, 'malformed HTTP event')
    }
    setState(request, newState(shape, http))
  }

  const grpcHttpEventAfter = (
    request: Request<LambdaHttpEvent, LambdaHttpResult | StreamingResult, Error, any>,
  ): void => {
    const state = getState(request)
    if (state?.response === undefined) return
    request.response = streaming ? writeStreamingResult(state.response) : writeLambdaResult(state.shape, state.response)
  }

  return { before: grpcHttpEventBefore, after: grpcHttpEventAfter, onError: grpcHttpEventAfter }
}

function emptyRequest(shape: EventShape): HttpRequest {
  return {
    shape,
    method: '',
    path: '',
    headers: {},
    headerCount: 0,
    headerBytes: 0,
    query: {},
    body: new Uint8Array(0),
  }
}
