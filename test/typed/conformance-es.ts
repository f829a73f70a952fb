/**
 * The conformance service (test/conformance/service.ts) on protobuf-es code generated from the same .proto files:
 * requests are decoded and replies encoded by @bufbuild/protobuf through `protobufEsService`, so the Connect
 * conformance replay checks that family's codec end to end. The handlers' logic is the protobufjs service's own.
 */
import { type MessageInitShape, createRegistry, toBinary } from '@bufbuild/protobuf'
import middy from '@middy/core'
import type { GrpcEvent } from '../../src/index.js'
import { grpcFraming, grpcRouter } from '../../src/index.js'
import { protobufEsService } from '../../src/services/protobuf-es.js'
import { type AnyMessage, typeUrlPrefix } from '../conformance/schema.js'
import {
  type ErrorDefinition,
  type ReadRequest,
  conformanceHandlers,
  serverReceiveLimitBytes,
} from '../conformance/service.js'
import {
  type BidiStreamRequest,
  BidiStreamRequestSchema,
  type ClientStreamRequest,
  ClientStreamRequestSchema,
  ConformanceService,
  type Error as ConformanceError,
  type IdempotentUnaryRequest,
  IdempotentUnaryRequestSchema,
  type ServerStreamRequest,
  ServerStreamRequestSchema,
  type ConformancePayloadSchema,
  type UnaryRequest,
  UnaryRequestSchema,
  file_service,
} from '../.gen/typed/conformance-es/service_pb.js'
import { file_status } from '../.gen/typed/conformance-es/status_pb.js'

const service = protobufEsService(ConformanceService, { registry: createRegistry(file_service, file_status) })

function errorDefinition(error: ConformanceError): ErrorDefinition {
  return {
    code: error.code,
    message: error.message,
    details: error.details.map((any) => ({ type_url: any.typeUrl, value: any.value })),
  }
}

/**
 * A unary request's definition in the shared handlers' shape, and the request as an Any of its own type (also each
 * message of a client stream, which carries the same definition).
 */
const readUnary =
  (schema: typeof UnaryRequestSchema | typeof IdempotentUnaryRequestSchema | typeof ClientStreamRequestSchema) =>
  (event: GrpcEvent<UnaryRequest | IdempotentUnaryRequest | ClientStreamRequest>) => {
    const definition = event.message.responseDefinition
    const response = definition?.response
    return {
      definition: definition && {
        responseHeaders: definition.responseHeaders,
        responseTrailers: definition.responseTrailers,
        responseDelayMs: definition.responseDelayMs,
        responseData: response?.case === 'responseData' ? response.value : undefined,
        error: response?.case === 'error' ? errorDefinition(response.value) : undefined,
      },
      any: { type_url: typeUrlPrefix + schema.typeName, value: toBinary(schema, event.message as never) },
    }
  }

/** A server-stream request, or each message of a bidi stream, which carries the same definition. */
const readStream =
  (schema: typeof ServerStreamRequestSchema | typeof BidiStreamRequestSchema) =>
  (event: GrpcEvent<ServerStreamRequest | BidiStreamRequest>) => {
    const definition = event.message.responseDefinition
    return {
      definition: definition && {
        responseHeaders: definition.responseHeaders,
        responseTrailers: definition.responseTrailers,
        responseDelayMs: definition.responseDelayMs,
        responseData: definition.responseData,
        error: definition.error && errorDefinition(definition.error),
      },
      any: { type_url: typeUrlPrefix + schema.typeName, value: toBinary(schema, event.message as never) },
    }
  }

type Payload = { payload?: { data?: Uint8Array; requestInfo?: { requests: AnyMessage[]; timeoutMs?: number } } }
/** Every method's response is `{ payload }`, so one init shape fits them all. */
type EsReply = { payload?: MessageInitShape<typeof ConformancePayloadSchema> }

/** The shared handlers' reply in protobuf-es's init shape: Any with `typeUrl`, int64 as bigint. */
function toEsReply({ payload }: Payload): EsReply {
  if (payload?.requestInfo === undefined) return { payload: payload && { data: payload.data } }
  const { requests, timeoutMs, ...info } = payload.requestInfo
  return {
    payload: {
      ...payload,
      requestInfo: {
        ...info,
        requests: requests.map((any) => ({ typeUrl: any.type_url, value: any.value })),
        timeoutMs: timeoutMs === undefined ? undefined : BigInt(timeoutMs),
      },
    },
  }
}

/** A typed event for the shared handlers, written for untyped ones (whose event has both `message` and `messages`). */
const untyped = (event: object) => event as GrpcEvent

/** The shared unary handler for one of the two unary methods. */
function unaryHandler(schema: typeof UnaryRequestSchema | typeof IdempotentUnaryRequestSchema) {
  const { unary } = conformanceHandlers(readUnary(schema) as ReadRequest)
  return async (event: object) => toEsReply((await unary(untyped(event))) as Payload)
}

export function createConformanceEsLambda() {
  const { serverStream } = conformanceHandlers(readStream(ServerStreamRequestSchema) as ReadRequest)
  const { clientStream } = conformanceHandlers(readUnary(ClientStreamRequestSchema) as ReadRequest)
  const { bidiStream } = conformanceHandlers(readStream(BidiStreamRequestSchema) as ReadRequest)
  return middy()
    .use(grpcFraming({ service, readMaxBytes: serverReceiveLimitBytes, logger: false }))
    .handler(
      grpcRouter(service, {
        unary: unaryHandler(UnaryRequestSchema),
        idempotentUnary: unaryHandler(IdempotentUnaryRequestSchema),
        serverStream: async function* (event) {
          for await (const reply of serverStream(untyped(event))) yield toEsReply(reply as Payload)
        },
        clientStream: async (event) => toEsReply((await clientStream(untyped(event))) as Payload),
        bidiStream: async function* (event) {
          for await (const reply of bidiStream(untyped(event))) yield toEsReply(reply as Payload)
        },
      }),
    )
}
