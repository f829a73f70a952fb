import type { Context } from 'aws-lambda'
import { callExchange } from './call.js'
import { GrpcError, isInspectable } from './grpc-error.js'
import type { GrpcEvent } from './middlewares/messages.js'
import { type ServiceDefinition, buildMethodTable, isTypedService } from './methods.js'
import type { ServiceHandlers, TypedService } from './services/service.js'
import { Status } from './status.js'

// biome-ignore lint/suspicious/noExplicitAny: the untyped default of the public API (a handler without type arguments)
export type GrpcHandler<Req = any, Res = any> = (
  event: GrpcEvent<Req, Res>,
  context: Context,
  options: { signal: AbortSignal },
) => Res | Promise<Res>

/** A typed service's handlers by its family's keys; any handlers by method name or path for an untyped service. */
export type RouterHandlers<T extends ServiceDefinition> = T extends TypedService
  ? ServiceHandlers<T>
  : Record<string, GrpcHandler>

/**
 * One Middy handler for many methods: keys are method names (`SayHello`) or paths (`/pkg.Service/SayHello`). A
 * method the service declares without a handler here is UNIMPLEMENTED. The handler is raced against the client's
 * deadline (Middy's own timeout covers the Lambda's), so a slow handler still answers DEADLINE_EXCEEDED on time.
 *
 * Given the service first, the keys are checked against it when the router is made; a typed service (from
 * `protobufEsService`, `tsProtoService` or `protobufjsStaticService`) also types each handler from its method, under
 * its family's keys, and a key that is not a method of the service does not compile.
 */
export function grpcRouter<T extends ServiceDefinition>(service: T, handlers: RouterHandlers<T>): GrpcHandler
export function grpcRouter(handlers: Record<string, GrpcHandler>): GrpcHandler
export function grpcRouter(
  serviceOrHandlers: ServiceDefinition | Record<string, GrpcHandler>,
  maybeHandlers?: Record<string, GrpcHandler | undefined>,
): GrpcHandler {
  const routes =
    maybeHandlers === undefined
      ? new Map(Object.entries(serviceOrHandlers as Record<string, GrpcHandler>))
      : routesByPath(serviceOrHandlers as ServiceDefinition, maybeHandlers)
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
      const mapped = GrpcError.from(thrown)
      exchange.handlerError = { thrown, mapped }
      // A value that throws when inspected would break the next middleware that looks at it (http-error-handler
      // reads its statusCode): they get its INTERNAL GrpcError instead, the value as its cause.
      throw isInspectable(thrown) ? thrown : mapped
    }
  }
}

/**
 * Handlers by method path. A typed service's keys are its family's (`sayHello` or `SayHello`), an untyped one's are
 * method names or paths; a key that names no method of the service throws.
 */
function routesByPath(
  service: ServiceDefinition,
  handlers: Record<string, GrpcHandler | undefined>,
): Map<string, GrpcHandler> {
  const methods = [...buildMethodTable(service).values()]
  const keyed = isTypedService(service) ? service.rpcMethods : undefined
  const routes = new Map<string, GrpcHandler>()
  for (const [key, handler] of Object.entries(handlers)) {
    if (handler === undefined) continue
    const method =
      keyed !== undefined
        ? keyed.get(key)
        : methods.find((candidate) => candidate.name === key || candidate.path === key)
    if (method === undefined) throw new Error(`middy-grpc: grpcRouter: the service has no method "${key}"`)
    routes.set(method.path, handler)
  }
  return routes
}
