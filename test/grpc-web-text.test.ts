import { GrpcWebFetchTransport } from '@protobuf-ts/grpcweb-transport'
import { RpcError, type RpcMetadata } from '@protobuf-ts/runtime-rpc'
import { startGateway, type Gateway } from './support/gateway.js'
import {
  EchoRequestType,
  ErrorInfoType,
  FailRequestType,
  StatusType,
  echoMethod,
  failMethod,
  type EchoRequest,
  type FailRequest,
} from './support/protobuf-ts-schema.js'
import { createTestLambda } from './support/test-service.js'
import type { EventShape } from '../src/event/shape.js'
import { failureOf } from './support/failure.js'

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

const rpcFailure = (call: Promise<unknown>) => failureOf(call, RpcError)

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
      const call = echo({
        text: 'héllo ☺ 😈',
        payload: new Uint8Array([0, 1, 254, 255]),
        number: -9223372036854775808n,
      })
      const reply = await call.response
      expect(reply.text).toBe('héllo ☺ 😈')
      expect(reply.payload).toEqual(new Uint8Array([0, 1, 254, 255]))
      expect(reply.number).toBe(-9223372036854775808n)
      expect(reply.protocol).toBe(format === 'text' ? 'grpc-web-text' : 'grpc-web')
      expect((await call.status).code).toBe('OK')
      if (format === 'text') {
        expect(wire.requestContentType).toBe('application/grpc-web-text')
        expect(wire.responseContentType).toBe('application/grpc-web-text+proto')
        // One base64 text: the data frame and the trailer frame.
        expect(wire.responseBody).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
      } else {
        expect(wire.requestContentType).toBe('application/grpc-web+proto')
        expect(wire.responseContentType).toBe('application/grpc-web+proto')
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
      [1, 'CANCELLED'],
      [2, 'UNKNOWN'],
      [4, 'DEADLINE_EXCEEDED'],
      [5, 'NOT_FOUND'],
      [8, 'RESOURCE_EXHAUSTED'],
      [12, 'UNIMPLEMENTED'],
      [13, 'INTERNAL'],
      [14, 'UNAVAILABLE'],
      [15, 'DATA_LOSS'],
      [16, 'UNAUTHENTICATED'],
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
      const error = await rpcFailure(echo({ delayMs: 5000 }, {}, 150).response)
      expect(error.code).toBe('DEADLINE_EXCEEDED')
    }, 1500)
  })
})
