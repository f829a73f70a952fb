import type protobuf from 'protobufjs'
import protobufLight from 'protobufjs/light.js'
import type { MessageType } from '../codecs/protobufjs.js'
import { staticModuleCodec } from '../codecs/static-module.js'
import { listReflectionMethods } from '../methods.js'
import { type MethodKind, type MethodShape, type TypedService, cacheCodecs, createTypedService } from './service.js'

/** `Namespace['a']['b']` for the path `a.b`. */
type Lookup<Namespace, Path extends string> = Path extends `${infer Head}.${infer Rest}`
  ? Head extends keyof Namespace
    ? Lookup<Namespace[Head], Rest>
    : never
  : Path extends keyof Namespace
    ? Namespace[Path]
    : never

type Parent<Path extends string> = Path extends `${infer Head}.${infer Rest}`
  ? Rest extends `${string}.${string}`
    ? `${Head}.${Parent<Rest>}`
    : Head
  : never

/** Whether A and B are the same type (not merely assignable both ways, as two all-optional interfaces are). */
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false

/** The pbts message classes of a namespace, as `[class instance, its I-interface]` pairs. */
type Classes<Namespace> = {
  [K in keyof Namespace]: Namespace[K] extends {
    create(properties?: infer P): infer M
    decode(...args: never[]): unknown
  }
    ? [M, NonNullable<P>]
    : never
}[keyof Namespace]

/** The message class whose `create` takes the interface `I` (`hello.v1.HelloRequest` for `IHelloRequest`), else `I`. */
type InstanceFor<Namespace, I> = [Extract<Classes<Namespace>, [unknown, I]>] extends [never]
  ? I
  : Classes<Namespace> extends infer C
    ? C extends [infer M, infer P]
      ? Same<P, I> extends true
        ? M
        : never
      : never
    : never

/** The I-interface of the message class `M` (`IHelloReply` for `HelloReply`), which plain objects satisfy; else `M`. */
type InterfaceFor<Namespace, M> = [Extract<Classes<Namespace>, [M, unknown]>] extends [never]
  ? M
  : Classes<Namespace> extends infer C
    ? C extends [infer Instance, infer P]
      ? Same<Instance, M> extends true
        ? P
        : never
      : never
    : never

/** The RPC methods of a pbts service class: `sayHello(request: IHelloRequest): Promise<HelloReply>`. */
type ServiceMethods<Service> = {
  [K in Exclude<keyof Service, keyof protobuf.rpc.Service> as Service[K] extends (...args: never[]) => unknown
    ? K
    : never]: Service[K]
}

type InstanceOf<Class> = Class extends abstract new (...args: never[]) => infer S ? S : never

/** pbts 2 (protobufjs 8) declares how each method streams; pbts 1 does not, and then every kind is allowed. */
type StaticKind<Method> = Method extends {
  readonly requestStream: infer Requests
  readonly responseStream: infer Replies
}
  ? Requests extends true
    ? Replies extends true
      ? 'bidi_streaming'
      : 'client_streaming'
    : Replies extends true
      ? 'server_streaming'
      : 'unary'
  : MethodKind

type StaticMethodShape<Method, Namespace> = Method extends (request: infer I) => Promise<infer R>
  ? MethodShape<InstanceFor<Namespace, I>, R, InterfaceFor<Namespace, R> | R, StaticKind<Method>>
  : never

/**
 * Each method of a pbts-declared service under its .proto name (`SayHello`), typed from the declarations: the request
 * as its message class, replies as the response's I-interface or class. Declarations from pbts 1 do not say which
 * methods stream, so there a handler has both `event.message` and `event.messages` and may return one reply or an
 * AsyncIterable of them (the descriptor decides at run time); pbts 2's say it.
 */
export type ProtobufjsStaticShape<
  Module,
  Path extends string,
  Methods = ServiceMethods<InstanceOf<Lookup<Module, Path>>>,
> = {
  [K in keyof Methods & string as Capitalize<K>]: StaticMethodShape<Methods[K], Lookup<Module, Parent<Path>>>
}

/** What `pbjs -t json` writes, as a JSON import types it (strings and booleans widened). */
export interface JsonDescriptor {
  nested?: object
}

/**
 * A pbjs static module (`pbjs -t static-module` with `pbts` declarations) as middy-grpc's `service`. Static code has
 * no method descriptors at run time, so the methods come from the JSON descriptor pbjs writes for the same .proto
 * files (`pbjs -t json`); the messages are the static module's classes, found by their full names. Handlers are
 * keyed by .proto method names (`SayHello`).
 */
export function protobufjsStaticService<Module extends object, Path extends string>(
  staticModule: Module,
  descriptor: JsonDescriptor,
  serviceName: Path,
): TypedService<ProtobufjsStaticShape<Module, Path>> {
  const root = protobufLight.Root.fromJSON(descriptor as protobuf.INamespace)
  const service = root.lookupService(serviceName)
  const classOf = (type: protobuf.Type): MessageType => {
    const path = type.fullName.replace(/^\./, '').split('.')
    let found: unknown = staticModule
    for (const part of path) found = (found as Record<string, unknown> | undefined)?.[part]
    if (typeof (found as Partial<MessageType> | undefined)?.decode !== 'function') {
      throw new Error(`middy-grpc: the static module has no message class ${path.join('.')}`)
    }
    return found as MessageType
  }
  const codecOf = cacheCodecs<protobuf.Type>((type) => staticModuleCodec(classOf(type), type))
  const methods = listReflectionMethods(service, codecOf)
  return createTypedService(
    service.fullName.replace(/^\./, ''),
    methods.map((method) => ({ ...method, key: method.name })),
  )
}
