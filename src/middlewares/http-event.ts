import type { MiddlewareObj, Request } from '@middy/core'
import { readHttpRequest } from '../event/read.js'
import {
  detectEventShape,
  type EventShape,
  type HttpRequest,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  type StreamingResult,
} from '../event/shape.js'
import { writeLambdaResult, writeStreamingResult } from '../event/write.js'
import { NonRpcResponse } from '../protocol/detect.js'
import { getState, setState } from './state.js'

export interface GrpcHttpEventOptions {
  /**
   * The Middy handler is streamified (Middy 6 `streamifyResponse: true`, Middy 7 `executionModeStreamifyResponse`):
   * results are `{ statusCode, headers, body: Readable }` with raw bytes, and server streams are written as they
   * are produced. Middy does not tell middlewares which mode it runs in, so it must be said here, once (grpcProtocol
   * reads it from the request's state). Default false.
   */
  streamifyResponse?: boolean
}

/**
 * Normalizes the Lambda HTTP event (API Gateway REST v1, HTTP API v2, ALB single- and multi-value, Function URL)
 * into method, path, lower-case headers, decoded query and base64-decoded body for the next steps, and writes the
 * response back in the same shape.
 */
// biome-ignore lint/suspicious/noExplicitAny: usable in any Middy chain, whatever its context type
type HttpEventRequest = Request<LambdaHttpEvent, LambdaHttpResult | StreamingResult, Error, any>

export function grpcHttpEvent(
  opts: GrpcHttpEventOptions = {},
  // biome-ignore lint/suspicious/noExplicitAny: usable in any Middy chain, whatever its context type
): MiddlewareObj<LambdaHttpEvent, LambdaHttpResult | StreamingResult, Error, any> {
  const streaming = opts.streamifyResponse === true
  const grpcHttpEventBefore = (request: HttpEventRequest): void => {
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
      setState(request, { http: emptyRequest(shape), streamifyResponse: streaming })
      throw new NonRpcResponse(400, 'malformed HTTP event')
    }
    setState(request, { http, streamifyResponse: streaming })
  }

  const grpcHttpEventAfter = (request: HttpEventRequest): void => {
    const state = getState(request)
    if (state?.response === undefined) return
    const { response } = state
    if (streaming) {
      // The body is read by the response stream later: its memory is never handed back.
      request.response = writeStreamingResult(response)
      return
    }
    request.response = writeLambdaResult(state.http.shape, response)
    response.releaseBody?.()
    response.releaseBody = undefined
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
