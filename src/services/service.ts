import type { Context } from 'aws-lambda'
import type { MessageCodec } from '../codec.js'
import type { GrpcEvent } from '../middlewares/messages.js'
import type { MethodKind, RpcMethod } from '../methods.js'

export type { MethodKind }

/**
 * What a typed service says about one of its methods, for the handler's types only: the request message handlers
 * receive, the response message type, what a handler may return for one response (a message or its init shape), and
 * how the method streams (a union when the generated code does not say).
 */
export interface MethodShape<Req = unknown, Res = unknown, Reply = Res, Kind extends MethodKind = MethodKind> {
  request: Req
  response: Res
  reply: Reply
  kind: Kind
}

/** A typed service's methods under the keys its family's users know (`sayHello` or `SayHello`). */
export type ServiceShape = Record<string, MethodShape>

declare const serviceShape: unique symbol

/**
 * A service from generated code, made by one of the family adapters (`protobufEsService`, `tsProtoService`,
 * `protobufjsStaticService`): its methods with their codecs, keyed as the family names them, and their types.
 */
export interface TypedService<S extends ServiceShape = ServiceShape> {
  /** `hello.v1.Greeter` */
  readonly typeName: string
  /** Each method under its family's key. */
  readonly rpcMethods: ReadonlyMap<string, RpcMethod>
  /** The .proto files behind the service, for the dev server's gRPC reflection; absent when generated code has none. */
  readonly describeFiles?: () => DescribedFile[]
  /** Types only: never set at run time. */
  readonly [serviceShape]?: S
}

/** One .proto file as gRPC server reflection hands it out. Plain data, so that it can cross a worker boundary. */
export interface DescribedFile {
  /** The import path, `hello/v1/greeter.proto`. */
  name: string
  /** The encoded google.protobuf.FileDescriptorProto. */
  proto: Uint8Array
  /** The names of the files it imports. */
  dependencies: string[]
  /** What it declares, fully qualified without the leading dot: services, methods, messages, fields, enums, values. */
  symbols: string[]
}

/** The method shapes of a typed service. */
export type ShapeOf<T extends TypedService> = T extends TypedService<infer S> ? S : never

/** What a handler returns for a method of this kind: one reply, or an AsyncIterable of them for server streams. */
export type HandlerReply<Kind extends MethodKind, Reply> = Kind extends 'server_streaming' | 'bidi_streaming'
  ? AsyncIterable<Reply>
  : Reply

/** The handler of one method of a typed service shape. */
export type ShapeHandler<M extends MethodShape> = (
  event: GrpcEvent<M['request'], M['response'], M['kind']>,
  context: Context,
  options: { signal: AbortSignal },
) => HandlerReply<M['kind'], M['reply']> | Promise<HandlerReply<M['kind'], M['reply']>>

/** Handlers for some or all methods of a typed service, by its family's keys; a missing one is UNIMPLEMENTED. */
export type ServiceHandlers<T extends TypedService> = { [K in keyof ShapeOf<T>]?: ShapeHandler<ShapeOf<T>[K]> }

/**
 * The handler of the method `K` of the typed service `T`, for a single-method function:
 * `const sayHello: MethodHandler<typeof Greeter, 'sayHello'> = async (event) => ({ message: ... })`.
 */
export type MethodHandler<T extends TypedService, K extends keyof ShapeOf<T>> = ShapeHandler<ShapeOf<T>[K]>

/** What a family adapter knows about one method at run time: the method, and the key its family's users know. */
export type MethodEntry = Omit<RpcMethod, 'serviceName' | 'path'> & { key: string }

/** The run-time part of a typed service; the adapters give it its types. */
export function createTypedService<S extends ServiceShape>(typeName: string, entries: MethodEntry[]): TypedService<S> {
  const rpcMethods = new Map<string, RpcMethod>()
  for (const { key, ...method } of entries) {
    rpcMethods.set(key, { ...method, serviceName: typeName, path: `/${typeName}/${method.name}` })
  }
  return { typeName, rpcMethods }
}

/** One codec per message type, shared by every method that uses the type. */
export function cacheCodecs<Type extends object>(
  makeCodec: (type: Type) => MessageCodec,
): (type: Type) => MessageCodec {
  const codecs = new Map<Type, MessageCodec>()
  return (type) => {
    let codec = codecs.get(type)
    if (codec === undefined) {
      codec = makeCodec(type)
      codecs.set(type, codec)
    }
    return codec
  }
}
