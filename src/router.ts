import type { Context } from 'aws-lambda'
import { callExchange } from './call.js'
import { GrpcError } from './grpc-error.js'
import type { GrpcEvent } from './middlewares/messages.js'
import { Status } from './status.js'

// biome-ignore lint/suspicious/noExplicitAny: the untyped default of the public API (a handler without type arguments)
export type GrpcHandler<Req = any, Res = any> = (
  event: GrpcEvent<Req, Res>,
  context: Context,
  options: { signal: AbortSignal },
) => Res | Promise<Res>

/**
 * One Middy handler for many methods: keys are method names (`SayHello`) or paths (`/pkg.Service/SayHello`). A
 * method the service declares without a handler here is UNIMPLEMENTED. The handler is raced against the client's
 * deadline (Middy's own timeout covers the Lambda's), so a slow handler still answers DEADLINE_EXCEEDED on time.
 */
export function grpcRouter(handlers: Record<string, GrpcHandler>): GrpcHandler {
  const routes = new Map(Object.entries(handlers))
  return async function grpcRouterHandler(event, context, options) {
    const call = event.grpc
    if (call === undefined) throw new Error('middy-grpc: grpcRouter needs grpcFraming() in front of it')
    const handler = routes.get(call.method.name) ?? routes.get(call.method.path)
    if (handler === undefined) {
      throw new GrpcError(Status.UNIMPLEMENTED, `method ${call.method.path} is not implemented`)
    }
    const exchange = callExchange(call)
    try {
      const work = (async () => handler(event, context, options))()
      return await (exchange.deadline?.clientFirst === true ? exchange.deadline.race(work) : work)
    } catch (thrown) {
      // Mapped here, as thrown, for grpcProtocol's onError: @middy/http-error-handler, when it runs first, replaces
      // request.error and sets `expose` on 4xx errors, which must not decide what the client is told.
      exchange.handlerError = { thrown, mapped: GrpcError.from(thrown) }
      throw thrown
    }
  }
}
