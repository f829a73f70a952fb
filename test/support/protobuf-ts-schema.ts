import { LongType, MessageType, ScalarType } from '@protobuf-ts/runtime'
import { ServiceType, type MethodInfo } from '@protobuf-ts/runtime-rpc'

// protobuf-ts has no runtime .proto loader and its code generator needs protoc, so the messages the tests use are
// declared by hand. Field numbers and types must match test/proto/test.proto: they are the wire interface.

export interface EchoRequest {
  text: string
  payload: Uint8Array
  replyBytes: number
  delayMs: number
  number: bigint
}

export interface EchoResponse {
  text: string
  payload: Uint8Array
  headers: string[]
  timeoutMs: number
  protocol: string
  number: bigint
}

export interface FailRequest {
  code: number
  message: string
  withDetails: boolean
  kind: string
  httpStatus: number
}

export const EchoRequestType = new MessageType<EchoRequest>('test.v1.EchoRequest', [
  { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
  { no: 3, name: 'reply_bytes', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 4, name: 'delay_ms', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 5, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
])

export const EchoResponseType = new MessageType<EchoResponse>('test.v1.EchoResponse', [
  { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
  { no: 3, name: 'headers', kind: 'scalar', repeat: 2, T: ScalarType.STRING },
  { no: 4, name: 'timeout_ms', kind: 'scalar', T: ScalarType.DOUBLE },
  { no: 5, name: 'protocol', kind: 'scalar', T: ScalarType.STRING },
  { no: 6, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
])

export const FailRequestType = new MessageType<FailRequest>('test.v1.FailRequest', [
  { no: 1, name: 'code', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 2, name: 'message', kind: 'scalar', T: ScalarType.STRING },
  { no: 3, name: 'with_details', kind: 'scalar', T: ScalarType.BOOL },
  { no: 4, name: 'kind', kind: 'scalar', T: ScalarType.STRING },
  { no: 5, name: 'http_status', kind: 'scalar', T: ScalarType.UINT32 },
])

export const ErrorInfoType = new MessageType<{ reason: string; metadata: Record<string, string> }>(
  'test.v1.ErrorInfo',
  [
    { no: 1, name: 'reason', kind: 'scalar', T: ScalarType.STRING },
    { no: 2, name: 'metadata', kind: 'map', K: ScalarType.STRING, V: { kind: 'scalar', T: ScalarType.STRING } },
  ],
)

const AnyType = new MessageType<{ typeUrl: string; value: Uint8Array }>('google.protobuf.Any', [
  { no: 1, name: 'type_url', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'value', kind: 'scalar', T: ScalarType.BYTES },
])

/** google.rpc.Status, as carried in `grpc-status-details-bin`. */
export const StatusType = new MessageType<{
  code: number
  message: string
  details: { typeUrl: string; value: Uint8Array }[]
}>('google.rpc.Status', [
  { no: 1, name: 'code', kind: 'scalar', T: ScalarType.INT32 },
  { no: 2, name: 'message', kind: 'scalar', T: ScalarType.STRING },
  { no: 3, name: 'details', kind: 'message', repeat: 2, T: () => AnyType },
])

export const TestServiceType = new ServiceType('test.v1.TestService', [
  { name: 'Echo', options: {}, I: EchoRequestType, O: EchoResponseType },
  { name: 'Fail', options: {}, I: FailRequestType, O: EchoResponseType },
])

export const echoMethod = TestServiceType.methods[0] as MethodInfo<EchoRequest, EchoResponse>
export const failMethod = TestServiceType.methods[1] as MethodInfo<FailRequest, EchoResponse>
