import type { EventShape } from '../event/shape.js'
import { mediaType } from '../protocol/detect.js'
import { headerContentType } from '../protocol/headers.js'
import type { CallLog } from './call-log.js'
import { resultSizeNotes, toFrontDoorEvent } from './front-door.js'
import { isGrpcResponse, moveToTrailers } from './grpc-trailers.js'
import { type HttpVersion, type StreamTarget, headerValue, sendReply } from './http-exchange.js'
import {
  describeFrame,
  describeStatus,
  dumpHeaders,
  dumpMessage,
  findRpcStatus,
  frameStatus,
  type RpcStatus,
} from './inspect.js'
import type { IncomingHttpRequest } from './lambda-event.js'
import { checkLambdaResult, functionErrorResponse, type OutgoingHttpResponse } from './lambda-result.js'
import { createLambdaContext, invokeBuffered, invokeStreaming, type LambdaHandler } from './lambda-runtime.js'
import { createResponseStream } from './streaming.js'

export interface InvokeOptions {
  handler: LambdaHandler
  eventShape: EventShape
  timeoutMs: number
  functionName: string
  /** Lambda response streaming (a streamified handler). */
  streaming: boolean
  verbose: boolean
  /** Adds headers to every response (CORS), given the request's. */
  decorateHeaders(headers: [string, string][], requestHeaders: IncomingHttpRequest['headers']): void
}

/**
 * One call through the emulated front door and Lambda runtime: the request becomes the event of `eventShape`, the
 * handler runs with a Lambda-like context, and its result (buffered or streamed) is checked and written to `target`.
 */
export async function invokeLambda(
  request: IncomingHttpRequest,
  httpVersion: HttpVersion,
  target: StreamTarget,
  call: CallLog,
  options: InvokeOptions,
): Promise<void> {
  const { handler, eventShape, timeoutMs, verbose } = options
  const { event, notes } = toFrontDoorEvent(request, eventShape, httpVersion)
  call.note(...notes)
  if (verbose)
    call.note(
      ...dumpMessage(
        '>',
        call.protocol,
        headerValue(request.headers, headerContentType) ?? '',
        request.headers,
        request.body,
      ),
    )
  const context = createLambdaContext(timeoutMs, options.functionName)
  if (options.streaming) return invokeStreamed(request, httpVersion, target, call, options, event, context)

  const outcome = await invokeBuffered(handler, event, context, timeoutMs)
  let response: OutgoingHttpResponse
  let detail = ''
  if ('error' in outcome) {
    response = functionErrorResponse(eventShape)
    detail = ` (${outcome.error})`
    if (outcome.stack !== undefined) call.note(outcome.stack)
  } else {
    const checked = checkLambdaResult(outcome.result, eventShape)
    if (checked.ok) {
      response = checked.response
      call.note(...checked.notes, ...resultSizeNotes(outcome.result, eventShape))
    } else {
      response = functionErrorResponse(eventShape)
      detail = ` (malformed Lambda result: ${checked.reason})`
    }
  }
  const reply = { ...response, trailers: [] as [string, string][] }
  options.decorateHeaders(reply.headers, request.headers)
  if (httpVersion === 'HTTP/2' && isGrpcResponse(reply.headers)) moveToTrailers(reply)
  if (request.method === 'HEAD') reply.body = Buffer.alloc(0)
  sendReply(target, reply)
  if (verbose) {
    const contentType = headerValue(reply.headers, headerContentType) ?? ''
    call.note(...dumpMessage('<', call.protocol, contentType, reply.headers, reply.body, reply.trailers))
  }
  const rpc = findRpcStatus(call.protocol, [...reply.headers, ...reply.trailers], reply.body)
  call.finish(describeStatus(reply.status, rpc), detail)
}

/**
 * Lambda response streaming: the prelude becomes the status and headers, the body is forwarded as the handler
 * writes it.
 */
async function invokeStreamed(
  request: IncomingHttpRequest,
  httpVersion: HttpVersion,
  target: StreamTarget,
  call: CallLog,
  options: InvokeOptions,
  event: unknown,
  context: ReturnType<typeof createLambdaContext>,
): Promise<void> {
  const { verbose, eventShape } = options
  let frames = 0
  let lastFrameStatus: RpcStatus | undefined
  const { stream, state } = createResponseStream(target, {
    grpcTrailers: (headers) => httpVersion === 'HTTP/2' && isGrpcResponse(headers),
    decorateHeaders: (headers) => {
      options.decorateHeaders(headers, request.headers)
      if (verbose) call.note(...dumpHeaders('<', headers))
    },
    enveloped: (headers) => {
      const type = mediaType(headerValue(headers, headerContentType))
      return (
        (type.startsWith('application/grpc') && !type.startsWith('application/grpc-web-text')) ||
        type.startsWith('application/connect+')
      )
    },
    observer: {
      frame(flags, data) {
        frames += 1
        lastFrameStatus = frameStatus({ flags, data }) ?? lastFrameStatus
        if (verbose) call.note(describeFrame('<', { flags, data }))
      },
    },
  })
  const outcome = await invokeStreaming(options.handler, event, stream, context, options.timeoutMs)
  if ('error' in outcome) {
    stream.destroy()
    if (outcome.stack !== undefined) call.note(outcome.stack)
    if (state.headersSent) {
      target.abort()
      call.finish(`stream aborted after ${frames} frames`, ` (${outcome.error})`)
    } else {
      const response = functionErrorResponse(eventShape)
      sendReply(target, { ...response, trailers: [] })
      call.finish(describeStatus(response.status, undefined), ` (${outcome.error})`)
    }
    return
  }
  if (verbose) call.note(...dumpHeaders('<', state.trailers, 'trailer '))
  const rpc = findRpcStatus(call.protocol, [...state.headers, ...state.trailers], new Uint8Array(0)) ?? lastFrameStatus
  call.finish(`${describeStatus(state.status ?? 200, rpc)}, streamed${frames > 0 ? ` ${frames} frames` : ''}`)
}
