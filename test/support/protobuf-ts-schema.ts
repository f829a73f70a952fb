import { MessageType, ScalarType, LongType } from '@protobuf-ts/runtime'
import { ServiceType } from '@protobuf-ts/runtime-rpc'

// protobuf-ts has no runtime .proto loader and its code generator needs protoc, so the few messages the tests use
// are declared by hand. Field numbers and types must match test/proto/test.proto: they are the wire interface.

export const EchoRequest = new MessageType<{ text: string; payload: Uint8Array; replyBytes: number; delayMs: number; number: bigint }>(
  'test.v1.EchoRequest',
  [
    { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
    { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
    { no: 3, name: 'reply_bytes', kind: 'scalar', T: ScalarType.UINT32 },
    { no: 4, name: 'delay_ms', kind: 'scalar', T: ScalarType.UINT32 },
    { no: 5, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
  ],
)

export const EchoResponse = new MessageType<{
  text: string
  payload: Uint8Array
  headers: string[]
  timeoutMs: number
  protocol: string
  number: bigint
}>('test.v1.EchoResponse', [
  { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
  { no: 3, name: 'headers', kind: 'scalar', repeat: 2, T: ScalarType.STRING },
  { no: 4, name: 'timeout_ms', kind: 'scalar', T: ScalarType.DOUBLE },
  { no: 5, name: 'protocol', kind: 'scalar', T: ScalarType.STRING },
  { no: 6, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
])

export const FailRequest = new MessageType<{ code: number; message: string; withDetails: boolean }>('test.v1.FailRequest', [
  { no: 1, name: 'code', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 2, name: 'message', kind: 'scalar', T: ScalarType.STRING },
  { no: 3, name: 'with_details', kind: 'scalar', T: ScalarType.BOOL },
])

export const TestServiceType = new ServiceType('test.v1.TestService', [
  { name: 'Echo', options: {}, I: EchoRequest, O: EchoResponse },
  { name: 'Fail', options: {}, I: FailRequest, O: EchoResponse },
])

export const echoMethod = TestServiceType.methods[0]
export const failMethod = TestServiceType.methods[1]
