import { GrpcWebFetchTransport } from '@protobuf-ts/grpcweb-transport'
import { LongType, MessageType, ScalarType } from '@protobuf-ts/runtime'
import { RpcError, ServiceType, type MethodInfo, type RpcMetadata } from '@protobuf-ts/runtime-rpc'
import { startGateway, type Gateway } from './support/gateway.js'
import { createTestLambda } from './support/test-service.js'
import type { EventShape } from '../src/event.js'

// protobuf-ts types declared by hand (no codegen here); field numbers as in test/proto/test.proto.
interface EchoRequest {
  text: string
  payload: Uint8Array
  replyBytes: number
  delayMs: number
  number: bigint
}
interface EchoResponse {
  text: string
  payload: Uint8Array
  headers: string[]
  timeoutMs: number
  protocol: string
  number: bigint
}
interface FailRequest {
  code: number
  message: string
  withDetails: boolean
  kind: string
  httpStatus: number
}

const EchoRequestType = new MessageType<EchoRequest>('test.v1.EchoRequest', [
  { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
  { no: 3, name: 'reply_bytes', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 4, name: 'delay_ms', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 5, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
])
const EchoResponseType = new MessageType<EchoResponse>('test.v1.EchoResponse', [
  { no: 1, name: 'text', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'payload', kind: 'scalar', T: ScalarType.BYTES },
  { no: 3, name: 'headers', kind: 'scalar', repeat: 2, T: ScalarType.STRING },
  { no: 4, name: 'timeout_ms', kind: 'scalar', T: ScalarType.DOUBLE },
  { no: 5, name: 'protocol', kind: 'scalar', T: ScalarType.STRING },
  { no: 6, name: 'number', kind: 'scalar', T: ScalarType.INT64, L: LongType.BIGINT },
])
const FailRequestType = new MessageType<FailRequest>('test.v1.FailRequest', [
  { no: 1, name: 'code', kind: 'scalar', T: ScalarType.UINT32 },
  { no: 2, name: 'message', kind: 'scalar', T: ScalarType.STRING },
  { no: 3, name: 'with_details', kind: 'scalar', T: ScalarType.BOOL },
  { no: 4, name: 'kind', kind: 'scalar', T: ScalarType.STRING },
  { no: 5, name: 'http_status', kind: 'scalar', T: ScalarType.UINT32 },
])
const ErrorInfoType = new MessageType<{ reason: string; metadata: Record<string, string> }>('test.v1.ErrorInfo', [
  { no: 1, name: 'reason', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'metadata', kind: 'map', K: ScalarType.STRING, V: { kind: 'scalar', T: ScalarType.STRING } },
])
const AnyType = new MessageType<{ typeUrl: string; value: Uint8Array }>('google.protobuf.Any', [
  { no: 1, name: 'type_url', kind: 'scalar', T: ScalarType.STRING },
  { no: 2, name: 'value', kind: 'scalar', T: ScalarType.BYTES },
])
const StatusType = new MessageType<{ code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] }>(
  'google.rpc.Status',
  [
    { no: 1, name: 'code', kind: 'scalar', T: ScalarType.INT32 },
    { no: 2, name: 'message', kind: 'scalar', T: ScalarType.STRING },
    { no: 3, name: 'details', kind: 'message', repeat: 2, T: () => AnyType },
  ],
)

const TestService = new ServiceType('test.v1.TestService', [
  { name: 'Echo', options: {}, I: EchoRequestType, O: EchoResponseType },
  { name: 'Fail', options: {}, I: FailRequestType, O: EchoResponseType },
])
const echoMethod = TestService.methods[0] as MethodInfo<EchoRequest, EchoResponse>
const failMethod = TestService.methods[1] as MethodInfo<FailRequest, EchoResponse>

const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const formats = ['text', 'binary'] as const

/** The wire as the client saw it: request and response content-types. */
interface Wire {
  requestContentType?: string | null
  responseContentType?: string | null
  responseBody?: string
}

function recordingFetch(wire: Wire): typeof fetch {
  return async (input, init) => {
    wire.requestContentType = new Headers(init?.headers).get('content-type')
    const response = await fetch(input, init)
    wire.responseContentType = response.headers.get('content-type')
    wire.responseBody = Buffer.from(await response.clone().arrayBuffer()).toString('latin1')
    return response
  }
}

async function rpcFailure(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError)
    return error as RpcError
  }
  throw new Error('the call succeeded')
}

function single(value: RpcMetadata[string] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined)
}

describe.each(shapes)('protobuf-ts GrpcWebFetchTransport through a %s event', (shape) => {
  let gateway: Gateway

  beforeAll(async () => {
    gateway = await startGateway(createTestLambda(), shape)
  })
  afterAll(() => gateway.close())

  describe.each(formats)('format %s', (format) => {
    const wire: Wire = {}
    let transport: GrpcWebFetchTransport
    beforeAll(() => {
      transport = new GrpcWebFetchTransport({ baseUrl: gateway.baseUrl, format, fetch: recordingFetch(wire) })
    })
    const echo = (input: Partial<EchoRequest>, meta: RpcMetadata = {}, timeout?: number) =>
      transport.unary(echoMethod, EchoRequestType.create(input), transport.mergeOptions({ meta, timeout }))
    const fail = (input: Partial<FailRequest>, meta: RpcMetadata = {}) =>
      transport.unary(failMethod, FailRequestType.create(input), transport.mergeOptions({ meta }))

    test('a unary call succeeds, in the format the client asked for', async () => {
      const call = echo({ text: 'héllo ☺ 😈', payload: new Uint8Array([0, 1, 254, 255]), number: -9223372036854775808n })
      const reply = await call.response
      expect(reply.text).toBe('héllo ☺ 😈')
      expect(reply.payload).toEqual(new Uint8Array([0, 1, 254, 255]))
      expect(reply.number).toBe(-9223372036854775808n)
      expect(reply.protocol).toBe(format === 'text' ? 'grpc-web-text' : 'grpc-web')
      expect((await call.status).code).toBe('OK')
      if (format === 'text') {
        expect(wire.requestContentType).toBe('application/grpc-web-text')
        expect(wire.responseContentType).toMatch(/^application\/grpc-web-text/)
        // One base64 text: the data frame and the trailer frame.
        expect(wire.responseBody).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
      } else {
        expect(wire.requestContentType).toBe('application/grpc-web+proto')
        expect(wire.responseContentType).toMatch(/^application\/grpc-web(\+proto)?$/)
      }
    })

    test('a large reply decodes (base64 read in chunks for text)', async () => {
      const reply = await echo({ replyBytes: 200_001 }).response
      expect(reply.payload).toEqual(new Uint8Array(200_001).fill(7))
    })

    test('headers and trailers come back', async () => {
      const call = echo({}, { 'x-echo-h': 'header value', 'x-trailer-t': 'trailer value', 'x-plain': 'seen' })
      const reply = await call.response
      expect(reply.headers).toContain('x-plain: seen')
      expect(single((await call.headers)['x-echo-h'])).toBe('header value')
      expect(single((await call.trailers)['x-trailer-t'])).toBe('trailer value')
    })

    test('an error arrives with its code, message and trailers', async () => {
      const error = await rpcFailure(fail({ code: 7, message: 'denied' }).response)
      expect(error.code).toBe('PERMISSION_DENIED')
      expect(error.message).toBe('denied')
      expect(single(error.meta['x-failed'])).toBe('yes')
      expect(single(error.meta['x-error-meta'])).toBe('present')
    })

    test.each([
      [1, 'CANCELLED'], [2, 'UNKNOWN'], [4, 'DEADLINE_EXCEEDED'], [5, 'NOT_FOUND'], [8, 'RESOURCE_EXHAUSTED'],
      [12, 'UNIMPLEMENTED'], [13, 'INTERNAL'], [14, 'UNAVAILABLE'], [15, 'DATA_LOSS'], [16, 'UNAUTHENTICATED'],
    ])('status %i arrives as %s', async (code, name) => {
      const error = await rpcFailure(fail({ code, message: `m${code}` }).response)
      expect(error.code).toBe(name)
      expect(error.message).toBe(`m${code}`)
    })

    test('a unicode message arrives percent-encoded (protobuf-ts does not decode grpc-message)', async () => {
      const message = '\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\n'
      const error = await rpcFailure(fail({ code: 3, message }).response)
      expect(error.code).toBe('INVALID_ARGUMENT')
      expect(error.message).toMatch(/^[\x20-\x7e]*$/)
      expect(decodeURIComponent(error.message)).toBe(message)
    })

    test('error details travel in grpc-status-details-bin', async () => {
      const error = await rpcFailure(fail({ code: 9, message: 'with details', withDetails: true }).response)
      const status = StatusType.fromBinary(Buffer.from(single(error.meta['grpc-status-details-bin'])!, 'base64'))
      expect(status.code).toBe(9)
      expect(status.message).toBe('with details')
      expect(status.details).toHaveLength(1)
      expect(status.details[0].typeUrl).toBe('type.googleapis.com/test.v1.ErrorInfo')
      expect(ErrorInfoType.fromBinary(status.details[0].value)).toEqual({ reason: 'TEST_REASON', metadata: { a: 'b' } })
    })

    test('the server enforces the timeout the client sends', async () => {
      // protobuf-ts only sends grpc-timeout; it sets no timer of its own.
      const start = Date.now()
      const error = await rpcFailure(echo({ delayMs: 5000 }, {}, 150).response)
      expect(error.code).toBe('DEADLINE_EXCEEDED')
      expect(Date.now() - start).toBeLessThan(1500)
    })
  })
})
