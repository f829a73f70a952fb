import type protobuf from 'protobufjs'
import type { MessageCodec } from './codec.js'
import { type MessageType, protobufjsCodec } from './codecs/protobufjs.js'
import { type TypedService, cacheCodecs } from './services/service.js'

/** The four kinds of RPC method, by whether requests and replies are streamed. */
export type MethodKind = 'unary' | 'server_streaming' | 'client_streaming' | 'bidi_streaming'

export type IdempotencyLevel = 'IDEMPOTENCY_UNKNOWN' | 'NO_SIDE_EFFECTS' | 'IDEMPOTENT'

/** One RPC method as the middlewares see it, whatever library its types came from. */
// biome-ignore lint/suspicious/noExplicitAny: the untyped default, as GrpcEvent's: a handler without type arguments
export interface RpcMethod<Req = any, Res = any> {
  /** `SayHello` */
  readonly name: string
  /** `hello.v1.Greeter` */
  readonly serviceName: string
  /** `/hello.v1.Greeter/SayHello` */
  readonly path: string
  /** Decodes the request message (made once per type, when the method table is built). */
  readonly requestCodec: MessageCodec<Req>
  /** Encodes the reply. */
  readonly responseCodec: MessageCodec<Res>
  readonly requestStream: boolean
  readonly responseStream: boolean
  readonly idempotency: IdempotencyLevel
  /** The family's own method descriptor: the protobufjs reflection `Method` when the service came from reflection. */
  readonly descriptor?: protobuf.Method
}

/** A method of a pbjs static module, which has no runtime descriptors. */
export interface StaticMethodDefinition {
  requestType: MessageType
  responseType: MessageType
  requestStream?: boolean
  responseStream?: boolean
  idempotency?: IdempotencyLevel
}

/**
 * A protobufjs reflection `Service` (from a `.proto`, a JSON descriptor or a pbjs json-module), or an explicit table
 * keyed by path, `{ methods: { '/pkg.Service/Method': { requestType, responseType } } }`. Handlers behind these are
 * untyped.
 */
export type UntypedServiceDefinition = protobuf.Service | { methods: Record<string, StaticMethodDefinition> }

/** What `service` accepts: an untyped definition, or a typed service from generated code (`services/`). */
export type ServiceDefinition = UntypedServiceDefinition | TypedService

/** Methods keyed by `pkg.Service/Method`, the last two segments of the request path. */
export type MethodTable = ReadonlyMap<string, RpcMethod>

export function buildMethodTable(service: ServiceDefinition, onlyMethod?: string): MethodTable {
  const table = new Map<string, RpcMethod>()
  for (const method of listMethods(service)) {
    if (onlyMethod === undefined || method.name === onlyMethod) table.set(method.path.slice(1), method)
  }
  // A typed service's single method may also be named by its family's key (`sayHello`).
  const keyed = isTypedService(service) && onlyMethod !== undefined ? service.rpcMethods.get(onlyMethod) : undefined
  if (keyed !== undefined) table.set(keyed.path.slice(1), keyed)
  if (onlyMethod !== undefined && table.size === 0) {
    throw new Error(`middy-grpc: the service has no method "${onlyMethod}"`)
  }
  return table
}

function listMethods(service: ServiceDefinition): RpcMethod[] {
  if (isTypedService(service)) return [...service.rpcMethods.values()]
  const codecOf = cacheCodecs<MessageType>(protobufjsCodec)
  if (isReflectionService(service)) return listReflectionMethods(service, codecOf)
  return Object.entries(service.methods).map(([path, definition]) => {
    const match = /^\/([^/]+)\/([^/]+)$/.exec(path)
    if (match === null) throw new Error(`middy-grpc: "${path}" is not a method path like /pkg.Service/Method`)
    return {
      name: match[2],
      serviceName: match[1],
      path,
      requestCodec: codecOf(definition.requestType),
      responseCodec: codecOf(definition.responseType),
      requestStream: definition.requestStream === true,
      responseStream: definition.responseStream === true,
      idempotency: definition.idempotency ?? 'IDEMPOTENCY_UNKNOWN',
    }
  })
}

/** The methods of a protobufjs reflection service, with a codec per message type from `codecOf`. */
export function listReflectionMethods(
  service: protobuf.Service,
  codecOf: (type: protobuf.Type) => MessageCodec,
): RpcMethod[] {
  service.resolveAll()
  const serviceName = service.fullName.replace(/^\./, '')
  return service.methodsArray.map((method) => ({
    name: method.name,
    serviceName,
    path: `/${serviceName}/${method.name}`,
    requestCodec: codecOf(method.resolvedRequestType as protobuf.Type),
    responseCodec: codecOf(method.resolvedResponseType as protobuf.Type),
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    idempotency: (method.options?.idempotency_level as IdempotencyLevel | undefined) ?? 'IDEMPOTENCY_UNKNOWN',
    descriptor: method,
  }))
}

export function isReflectionService(service: ServiceDefinition): service is protobuf.Service {
  return typeof (service as protobuf.Service).resolveAll === 'function'
}

export function isTypedService(service: ServiceDefinition): service is TypedService {
  return (service as Partial<TypedService>).rpcMethods instanceof Map
}

/**
 * Finds the method for a request path. Only the last two segments count, so API Gateway stages, custom-domain base
 * paths and route prefixes (`/twirp`) in front of `/pkg.Service/Method` are tolerated.
 */
export function findMethod(table: MethodTable, path: string): RpcMethod | undefined {
  const lastSlash = path.lastIndexOf('/')
  if (lastSlash <= 0) return undefined
  return table.get(path.slice(path.lastIndexOf('/', lastSlash - 1) + 1))
}

export function methodKind({ requestStream, responseStream }: RpcMethod): MethodKind {
  if (requestStream) return responseStream ? 'bidi_streaming' : 'client_streaming'
  return responseStream ? 'server_streaming' : 'unary'
}
