export { grpcFraming, type GrpcFramingOptions } from './grpc-framing.js'
export { grpcRouter, type GrpcHandler, type RouterHandlers } from './router.js'
export { grpcHttpEvent, type GrpcHttpEventOptions } from './middlewares/http-event.js'
export { grpcProtocol, type GrpcProtocolOptions, type ErrorLogEntry } from './middlewares/protocol.js'
export {
  grpcMessages,
  type GrpcMessagesOptions,
  type GrpcEvent,
  type GrpcEventMessages,
} from './middlewares/messages.js'
export { GrpcError, type GrpcErrorOptions, type ErrorDetail, type ErrorDetailInit } from './grpc-error.js'
export { Status, type StatusCode, type StatusName, statusName } from './status.js'
export { Metadata, type MetadataInit, encodeBinaryHeader, decodeBinaryHeader } from './metadata.js'
export { decodeStatusDetails, type StatusDetails } from './status-details.js'
export type { RpcCall, ProtocolName } from './call.js'
export type { CodecName, MessageCodec } from './codec.js'
export type { MessageType } from './codecs/protobufjs.js'
export type {
  RpcMethod,
  MethodKind,
  ServiceDefinition,
  UntypedServiceDefinition,
  StaticMethodDefinition,
  IdempotencyLevel,
} from './methods.js'
export type {
  TypedService,
  ServiceHandlers,
  MethodHandler,
  MethodShape,
  ShapeOf,
} from './services/service.js'
export {
  tsProtoService,
  type TsProtoServiceDefinition,
  type TsProtoMethodDefinition,
  type TsProtoShape,
  type TsProtoPartial,
} from './services/ts-proto.js'
export type { TsProtoMessageFns } from './codecs/ts-proto.js'
export {
  protobufjsStaticService,
  type ProtobufjsStaticShape,
  type JsonDescriptor,
} from './services/protobufjs-static.js'
export type { EventShape, LambdaHttpEvent, LambdaHttpResult } from './event/shape.js'
export { corsAllowedHeaders, corsExposedHeaders } from './cors.js'
