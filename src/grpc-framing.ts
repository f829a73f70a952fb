import type { Context } from 'aws-lambda'
import type { MiddlewareObj, Request } from '@middy/core'
import { grpcHttpEvent, type GrpcHttpEventOptions } from './middlewares/http-event.js'
import { grpcMessages, type GrpcEvent, type GrpcMessagesOptions } from './middlewares/messages.js'
import { grpcProtocol, type GrpcProtocolOptions } from './middlewares/protocol.js'
import type { GrpcInternal } from './middlewares/state.js'

export interface GrpcFramingOptions extends GrpcMessagesOptions, GrpcProtocolOptions, GrpcHttpEventOptions {}

type Hook = (request: Request<any, any, any, any, any>) => void | Promise<void>

/**
 * Turns a Middy handler into an RPC endpoint: grpcHttpEvent, grpcProtocol and grpcMessages in one middleware, their
 * after and onError hooks in reverse, as Middy would run them. The hooks are synchronous except where a server
 * stream is written, so the composite awaits only then.
 */
export function grpcFraming<Req = any, Res = any>(
  options: GrpcFramingOptions,
): MiddlewareObj<GrpcEvent<Req, Res>, any, Error, Context, GrpcInternal> {
  const steps = [grpcHttpEvent(options), grpcProtocol(options), grpcMessages(options)]
  const befores = steps.flatMap((step) => (step.before ? [step.before as Hook] : []))
  const afters = steps.flatMap((step) => (step.after ? [step.after as Hook] : [])).reverse()
  const onErrors = steps.flatMap((step) => (step.onError ? [step.onError as Hook] : [])).reverse()

  return {
    before: function grpcFramingBefore(request) {
      return runHooks(befores, request)
    },
    after: function grpcFramingAfter(request) {
      return runHooks(afters, request)
    },
    onError: function grpcFramingOnError(request) {
      return runHooks(onErrors, request)
    },
  }
}

function runHooks(hooks: Hook[], request: Request<any, any, any, any, any>, from = 0): void | Promise<void> {
  for (let i = from; i < hooks.length; i++) {
    const result = hooks[i](request)
    if (result instanceof Promise) return result.then(() => runHooks(hooks, request, i + 1))
  }
}
