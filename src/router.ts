import type { Context } from 'aws-lambda'
import { raceDeadline } from './call.js'
import { GrpcError } from './grpc-error.js'
import type { GrpcEvent } from './middlewares/messages.js'
import { Status } from './status.js'

export type GrpcHandler<Req = any, Res = any> = (
  event: GrpcEvent<Req, Res>,
  context: Context,
  options: { signal: AbortSignal },
) => Res | Promise<Res>

/**
 * One Middy handler for many methods: keys are method names (`SayHello`) or paths (`/pkg.Service/SayHello`). A
 * method the service declares without a handler here is UNIMPLEMENTED. The handler is raced against the client's
 * deadline, so a slow handler still answers DEADLINE_EXCEEDED on time.
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
    try {
      return await raceDeadline(call, (async () => handler(event, context, options))())
    } catch (error) {
      call.handlerError = error
      throw error
    }
  }
}
