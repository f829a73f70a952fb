import type { Context } from 'aws-lambda'
import type { MiddlewareObj, Request } from '@middy/core'
import { grpcHttpEvent } from './middlewares/http-event.js'
import { grpcMessages, type GrpcEvent, type GrpcMessagesOptions } from './middlewares/messages.js'
import { grpcProtocol, type GrpcProtocolOptions } from './middlewares/protocol.js'
import type { GrpcInternal } from './middlewares/state.js'

export interface GrpcFramingOptions extends GrpcMessagesOptions, GrpcProtocolOptions {}

type Hook = (request: Request<any, any, any, any, any>) => void

/**
 * Turns a Middy handler into an RPC endpoint: grpcHttpEvent, grpcProtocol and grpcMessages in one middleware. Their
 * hooks are synchronous, so the composite runs them in a loop (after and onError in reverse, as Middy would).
 */
export function grpcFraming<Req = any, Res = any>(
  options: GrpcFramingOptions,
): MiddlewareObj<GrpcEvent<Req, Res>, any, Error, Context, GrpcInternal> {
  const steps = [grpcHttpEvent(), grpcProtocol(options), grpcMessages(options)]
  const befores = steps.flatMap((step) => (step.before ? [step.before as Hook] : []))
  const afters = steps.flatMap((step) => (step.after ? [step.after as Hook] : [])).reverse()
  const onErrors = steps.flatMap((step) => (step.onError ? [step.onError as Hook] : [])).reverse()

  return {
    before: function grpcFramingBefore(request) {
      for (const hook of befores) hook(request)
    },
    after: function grpcFramingAfter(request) {
      for (const hook of afters) hook(request)
    },
    onError: function grpcFramingOnError(request) {
      for (const hook of onErrors) hook(request)
    },
  }
}
