import type { Context } from 'aws-lambda'
import type { MiddlewareObj, Request } from '@middy/core'
import type { RpcCall } from '../call.js'
import { decodeMessage, encodeMessage } from '../codec.js'
import type { LambdaHttpEvent } from '../event.js'
import { GrpcError } from '../grpc-error.js'
import { NonRpcResponse } from '../protocol/detect.js'
import {
  buildMethodTable,
  findMethod,
  isReflectionService,
  type MethodTable,
  type RpcMethod,
  type ServiceDefinition,
} from '../methods.js'
import { Status } from '../status.js'
import { toAsyncIterable } from '../stream.js'
import { requireState } from './state.js'

/** The event a handler behind grpcFraming receives. */
export type GrpcEvent<Req = any, Res = any> = LambdaHttpEvent & {
  /** The decoded request message. */
  message: Req
  /** The call: method, protocol, metadata, deadline, signal. */
  grpc: RpcCall<Req, Res>
}

export interface GrpcMessagesOptions {
  service: ServiceDefinition
  /** Serve only this method of the service (a single-method function). */
  method?: string
}

type MessagesRequest = Request<GrpcEvent, unknown, unknown, Context>

/**
 * Protobuf messages: resolves the method from the path (only the last two segments count, so stages and base paths
 * are tolerated), decodes the request into `event.message`, and encodes the handler's reply with the method's
 * response type. The method table is built once, here in the factory.
 */
export function grpcMessages(options: GrpcMessagesOptions): MiddlewareObj<GrpcEvent, unknown, unknown, Context> {
  const table = buildMethodTable(options.service, options.method)
  const service = isReflectionService(options.service) ? options.service : undefined
  const lookup = smallTableLookup(table) ?? ((path: string) => findMethod(table, path))

  const grpcMessagesBefore = (request: MessagesRequest): void => {
    const state = requireState(request, 'grpcMessages')
    const { exchange, requestMessage } = state
    const call = exchange?.call
    if (call === undefined || requestMessage === undefined) {
      throw new Error('middy-grpc: grpcMessages needs grpcProtocol() before it')
    }
    const method = lookup(state.http.path)
    if (method === undefined) {
      exchange!.routeNotFound = true
      throw new GrpcError(Status.UNIMPLEMENTED, `unknown method ${state.http.path}`)
    }
    if (state.http.method === 'GET' && method.idempotency !== 'NO_SIDE_EFFECTS') {
      throw new NonRpcResponse(405, `${method.path} has side effects: use POST`, { allow: 'POST, OPTIONS' })
    }
    if (method.requestStream) {
      throw new GrpcError(
        Status.UNIMPLEMENTED,
        `${method.path}: client and bidirectional streaming cannot run on Lambda`,
      )
    }
    if (method.responseStream && state.protocol?.stream === undefined) {
      throw new GrpcError(
        Status.UNIMPLEMENTED,
        `${method.path} is server-streaming: call it with gRPC, gRPC-Web or Connect streaming (application/connect+proto)`,
      )
    }
    state.method = method
    call.resolve(method, service)
    try {
      request.event.message = decodeMessage(method.requestType, requestMessage, call.codec)
    } catch (error) {
      exchange!.malformedRequest = true
      throw error
    }
    // A plain property (defineProperty costs a slow path on every call): RpcCall keeps its protobufjs types behind
    // accessors, so loggers that clone or serialize the event (input-output-logger) do not walk into them.
    request.event.grpc = call
  }

  const grpcMessagesAfter = (request: MessagesRequest): void => {
    const state = requireState(request, 'grpcMessages')
    const { method, protocol, exchange } = state
    if (method === undefined || protocol === undefined || exchange === undefined) return
    if (method.responseStream) {
      const encode = (reply: unknown): Uint8Array =>
        encodeMessage(method.responseType, reply, protocol.replyOffset, exchange.codec, exchange.jsonProtoNames)
      state.replyStream = mapAsync(toAsyncIterable(request.response), encode)
    } else {
      exchange.replyTrailer = protocol.replyTrailer?.(exchange)
      state.reply = encodeMessage(
        method.responseType,
        request.response,
        protocol.replyOffset,
        exchange.codec,
        exchange.jsonProtoNames,
        exchange.replyTrailer?.byteLength ?? 0,
      )
    }
  }

  return { before: grpcMessagesBefore, after: grpcMessagesAfter }
}

/**
 * findMethod for the few methods a Lambda function usually serves: compares the path's tail with each key in place
 * (`/pkg.Service/Method` ends the path, or is all of it) instead of slicing it out and hashing it. Same answers.
 */
function smallTableLookup(table: MethodTable): ((path: string) => RpcMethod | undefined) | undefined {
  if (table.size > 8) return undefined
  const entries = [...table]
  return (path) => {
    for (const [key, method] of entries) {
      const start = path.length - key.length
      if (start >= 0 && path.endsWith(key) && (start === 0 || path.charCodeAt(start - 1) === 0x2f)) return method
    }
    return undefined
  }
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of source) yield map(item)
}
