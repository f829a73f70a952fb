import type { MiddlewareObj, Request } from '@middy/core'
import type { Context } from 'aws-lambda'
import { type GrpcHttpEventOptions, grpcHttpEvent } from './middlewares/http-event.js'
import { type GrpcEvent, type GrpcMessagesOptions, grpcMessages } from './middlewares/messages.js'
import { type GrpcProtocolOptions, grpcProtocol } from './middlewares/protocol.js'
import type { ShapeOf, TypedService } from './services/service.js'

export interface GrpcFramingOptions extends GrpcMessagesOptions, GrpcProtocolOptions, GrpcHttpEventOptions {}

// biome-ignore lint/suspicious/noExplicitAny: the three middlewares' hooks take differently typed Middy requests
type AnyRequest = Request<any, any, any, any, any>
type Hook = (request: AnyRequest) => void | Promise<void>

/**
 * Turns a Middy handler into an RPC endpoint: grpcHttpEvent, grpcProtocol and grpcMessages in one middleware, their
 * after and onError hooks in reverse, as Middy would run them. The hooks are synchronous except where a server
 * stream is written, so the composite awaits only then.
 */
// With a typed service and one `method` (by its family's key), the handler's event is typed from that method.
export function grpcFraming<T extends TypedService, K extends keyof ShapeOf<T> & string>(
  options: GrpcFramingOptions & { service: T; method: K },
): MiddlewareObj<
  GrpcEvent<ShapeOf<T>[K]['request'], ShapeOf<T>[K]['response'], ShapeOf<T>[K]['kind']>,
  // biome-ignore lint/suspicious/noExplicitAny: the result is whatever the front door's shape is
  any,
  Error,
  Context
>
// biome-ignore lint/suspicious/noExplicitAny: the untyped default of the public API (a handler without type arguments)
export function grpcFraming<Req = any, Res = any>(
  options: GrpcFramingOptions,
  // biome-ignore lint/suspicious/noExplicitAny: the result is whatever the front door's shape is
): MiddlewareObj<GrpcEvent<Req, Res>, any, Error, Context>
export function grpcFraming(
  options: GrpcFramingOptions,
  // biome-ignore lint/suspicious/noExplicitAny: the result is whatever the front door's shape is
): MiddlewareObj<GrpcEvent, any, Error, Context> {
  const http = grpcHttpEvent(options)
  const protocol = grpcProtocol(options)
  const messages = grpcMessages(options)
  const befores = [http.before, protocol.before, messages.before] as Hook[]
  const afters = [messages.after, protocol.after, http.after] as Hook[]
  const onErrors = [protocol.onError, http.onError] as Hook[]
  return {
    before: function grpcFramingBefore(request) {
      return runHooks(befores, request, 0)
    },
    after: function grpcFramingAfter(request) {
      return runHooks(afters, request, 0)
    },
    onError: function grpcFramingOnError(request) {
      return runHooks(onErrors, request, 0)
    },
  }
}

function runHooks(hooks: Hook[], request: AnyRequest, from: number): void | Promise<void> {
  for (let i = from; i < hooks.length; i++) {
    const result = hooks[i](request)
    if (result instanceof Promise) return result.then(() => runHooks(hooks, request, i + 1))
  }
}
