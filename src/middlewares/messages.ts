import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { RpcCall } from '../call.js'
import { PendingReply, decodeMessage, encodeMessage } from '../codec.js'
import { decodeSingleEnvelope, readEnvelopePayload } from '../envelope.js'
import type { LambdaHttpEvent } from '../event/shape.js'
import { GrpcError, RouteNotFoundError } from '../grpc-error.js'
import { type MethodKind, type ServiceDefinition, buildMethodTable, findMethod, methodKind } from '../methods.js'
import { registerService } from '../registry.js'
import { NonRpcResponse } from '../protocol/detect.js'
import { RequestMessages } from '../request-messages.js'
import { Status } from '../status.js'
import { toAsyncIterable } from '../stream.js'
import { requireExchange } from './state.js'

/**
 * The event a handler behind grpcFraming receives. `Kind` tells the methods apart: unary and server-streaming
 * handlers read `event.message`, client-streaming and bidirectional ones `event.messages`. Without it (the default)
 * both are typed, and the one that does not apply to the method is undefined at run time.
 */
export type GrpcEvent<
  // biome-ignore lint/suspicious/noExplicitAny: the untyped default of the public API (a handler without type arguments)
  Req = any,
  // biome-ignore lint/suspicious/noExplicitAny: as Req
  Res = any,
  Kind extends MethodKind = MethodKind,
> = LambdaHttpEvent & {
  /** The call: method, protocol, metadata, deadline, signal. */
  grpc: RpcCall<Req, Res>
} & GrpcEventMessages<Req, Kind>

/** `message` or `messages`, by the kind of method. */
export type GrpcEventMessages<Req, Kind extends MethodKind> = [Kind] extends ['unary' | 'server_streaming']
  ? {
      /** The decoded request message. */
      message: Req
      messages?: undefined
    }
  : [Kind] extends ['client_streaming' | 'bidi_streaming']
    ? {
        message?: undefined
        /** The request messages in order, each decoded when the iteration reaches it. */
        messages: AsyncIterable<Req>
      }
    : {
        /** The decoded request message (unary and server-streaming methods). */
        message: Req
        /** The request messages (client-streaming and bidirectional methods). */
        messages: AsyncIterable<Req>
      }

export interface GrpcMessagesOptions {
  service: ServiceDefinition
  /** Serve only this method of the service (a single-method function). */
  method?: string
}

type MessagesRequest = Request<GrpcEvent, unknown, unknown, Context>

/**
 * Protobuf messages: resolves the method from the path (only the last two segments count, so stages and base paths
 * are tolerated), decodes the request into `event.message` (or, for client-streaming and bidirectional methods,
 * gives `event.messages`, decoded as the handler iterates), and encodes the handler's reply with the method's
 * response codec. The method table (and a codec per message type) is built once, here in the factory.
 */
export function grpcMessages(options: GrpcMessagesOptions): MiddlewareObj<GrpcEvent, unknown, unknown, Context> {
  const table = buildMethodTable(options.service, options.method)
  registerService(options.service)

  const grpcMessagesBefore = (request: MessagesRequest): void => {
    const exchange = requireExchange(request, 'grpcMessages')
    const { http, deadline, requestBody } = exchange
    if (deadline === undefined || requestBody === undefined) {
      throw new Error('middy-grpc: grpcMessages runs after grpcProtocol read the request')
    }
    const method = findMethod(table, http.path)
    if (method === undefined) throw new RouteNotFoundError(`unknown method ${http.path}`)
    if (http.method === 'GET' && method.idempotency !== 'NO_SIDE_EFFECTS') {
      throw new NonRpcResponse(405, `${method.path} has side effects: use POST`, { allow: 'POST, OPTIONS' })
    }
    const envelopes = requestBody.envelopes
    if (
      (method.responseStream && exchange.protocol.stream === undefined) ||
      (method.requestStream && envelopes === undefined)
    ) {
      throw new GrpcError(
        Status.UNIMPLEMENTED,
        `${method.path} is ${methodKind(method).replace('_', '-')}: call it with gRPC, gRPC-Web or Connect streaming (application/connect+proto)`,
      )
    }
    exchange.method = method
    if (envelopes === undefined) {
      request.event.message = decodeMessage(method.requestCodec, requestBody.message, exchange.codec)
    } else if (method.requestStream) {
      request.event.messages = new RequestMessages({
        envelopes,
        compression: requestBody.compression,
        codec: method.requestCodec,
        format: exchange.codec,
        readMaxBytes: exchange.options.readMaxBytes,
        readMaxMessages: exchange.options.readMaxMessages,
      })
    } else {
      const { readMaxBytes } = exchange.options
      const message = readEnvelopePayload(
        decodeSingleEnvelope(envelopes, readMaxBytes),
        requestBody.compression,
        readMaxBytes,
      )
      request.event.message = decodeMessage(method.requestCodec, message, exchange.codec)
    }
    // A plain property (defineProperty costs a slow path on every call): RpcCall keeps the method behind an
    // accessor, so loggers that clone or serialize the event (input-output-logger) do not walk into it.
    request.event.grpc = new RpcCall(exchange, method, deadline)
  }

  const grpcMessagesAfter = (request: MessagesRequest): void => {
    const exchange = requireExchange(request, 'grpcMessages')
    const { method, codec, protocol } = exchange
    if (method === undefined) return
    const protoNames = protocol.jsonProtoNames?.(exchange.options) === true
    const { responseCodec } = method
    if (method.responseStream) {
      const encode = (reply: unknown): Uint8Array => encodeMessage(responseCodec, reply, codec, protoNames)
      exchange.replyStream = mapAsync(toAsyncIterable(request.response), encode)
    } else {
      // Encoded where the protocol frames it, with room for the frame (protocol/frame.ts).
      exchange.reply = new PendingReply(responseCodec, request.response, codec, protoNames)
    }
  }

  return { before: grpcMessagesBefore, after: grpcMessagesAfter }
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, map: (item: T) => U): AsyncGenerator<U> {
  for await (const item of source) yield map(item)
}
