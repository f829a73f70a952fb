import { type TsProtoMessageFns, tsProtoCodec } from '../codecs/ts-proto.js'
import type { IdempotencyLevel } from '../methods.js'
import { type MethodShape, type TypedService, cacheCodecs, createTypedService } from './service.js'

/** One method of a ts-proto `generic-definitions` service definition. */
export interface TsProtoMethodDefinition {
  readonly name: string
  readonly requestType: TsProtoMessageFns<unknown>
  readonly responseType: TsProtoMessageFns<unknown>
  readonly requestStream: boolean
  readonly responseStream: boolean
  readonly options: { readonly idempotencyLevel?: IdempotencyLevel }
}

/** A ts-proto service definition (`outputServices=generic-definitions`): `GreeterDefinition`. */
export interface TsProtoServiceDefinition {
  readonly fullName: string
  readonly methods: { readonly [key: string]: TsProtoMethodDefinition }
}

type MessageOf<Fns> = Fns extends TsProtoMessageFns<infer T> ? T : never

type KindOf<M extends TsProtoMethodDefinition> = M['requestStream'] extends true
  ? M['responseStream'] extends true
    ? 'bidi_streaming'
    : 'client_streaming'
  : M['responseStream'] extends true
    ? 'server_streaming'
    : 'unary'

type Builtin = Date | ((...args: never[]) => unknown) | Uint8Array | string | number | bigint | boolean | undefined

/** What a ts-proto handler may return: the message with any field left out, as ts-proto's `fromPartial` takes. */
export type TsProtoPartial<T> = T extends Builtin
  ? T
  : T extends ReadonlyArray<infer U>
    ? TsProtoPartial<U>[]
    : T extends { $case: string }
      ? { [K in keyof Omit<T, '$case'>]?: TsProtoPartial<T[K]> } & { $case: T['$case'] }
      : T extends object
        ? { [K in keyof T]?: TsProtoPartial<T[K]> }
        : Partial<T>

/** Each method of a ts-proto definition under its local name (`sayHello`), typed from its `MessageFns`. */
export type TsProtoShape<D extends TsProtoServiceDefinition> = {
  [K in keyof D['methods']]: MethodShape<
    MessageOf<D['methods'][K]['requestType']>,
    MessageOf<D['methods'][K]['responseType']>,
    TsProtoPartial<MessageOf<D['methods'][K]['responseType']>>,
    KindOf<D['methods'][K]>
  >
}

/**
 * A ts-proto service definition (generated with `outputServices=generic-definitions`) as middy-grpc's `service`.
 * Handlers are keyed by the definition's keys (`sayHello`), as in nice-grpc; messages are encoded by the generated
 * `MessageFns`, and JSON is ts-proto's own mapping (see `tsProtoCodec`).
 */
export function tsProtoService<D extends TsProtoServiceDefinition>(definition: D): TypedService<TsProtoShape<D>> {
  const codecOf = cacheCodecs<TsProtoMessageFns<unknown>>(tsProtoCodec)
  return createTypedService(
    definition.fullName,
    Object.entries(definition.methods).map(([key, method]) => ({
      key,
      name: method.name,
      requestCodec: codecOf(method.requestType),
      responseCodec: codecOf(method.responseType),
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      idempotency: method.options.idempotencyLevel ?? 'IDEMPOTENCY_UNKNOWN',
    })),
  )
}
