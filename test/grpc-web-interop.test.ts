import type { DescMessage, DescService } from '@bufbuild/protobuf'
import {
  Code,
  ConnectError,
  createClient,
  decodeBinaryHeader,
  encodeBinaryHeader,
  type CallOptions,
} from '@connectrpc/connect'
import type { Compression } from '@connectrpc/connect/protocol'
import { compressionGzip, createGrpcWebTransport } from '@connectrpc/connect-node'
import { loadClientRegistry } from './support/client-schema.js'
import { eventBody, eventHeader } from './support/event-headers.js'
import { startGateway, type Gateway } from './support/gateway.js'
import { createTestLambda } from './support/test-service.js'
import type { EventShape } from '../src/event/shape.js'
import { failureOf } from './support/failure.js'

const registry = loadClientRegistry('test/proto')
const serviceDesc = registry.getService('test.v1.TestService') as DescService
const errorInfoDesc = registry.getMessage('test.v1.ErrorInfo') as DescMessage
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']

type Rpc = (request: Record<string, unknown>, options?: CallOptions) => Promise<any>
type TestClient = { echo: Rpc; fail: Rpc; lookup: Rpc; unrouted: Rpc }

function clientFor(
  baseUrl: string,
  options: { sendCompression?: Compression; acceptCompression?: Compression[] } = {},
): TestClient {
  return createClient(
    serviceDesc,
    createGrpcWebTransport({ baseUrl, httpVersion: '1.1', ...options }),
  ) as unknown as TestClient
}

const failure = (call: Promise<unknown>) => failureOf(call, ConnectError)

const unicodeMessage = '\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\n'
const statusNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]
const errorCodes = statusNames.slice(1).map((name, index) => [index + 1, name] as const)

describe.each(shapes)('connect-node gRPC-Web client through a %s event', (shape) => {
  let gateway: Gateway
  let client: TestClient
  // readMaxBytes 64 KiB
  let limitedGateway: Gateway
  // A Lambda with 250 ms left when it starts.
  let shortLambdaGateway: Gateway

  beforeAll(async () => {
    gateway = await startGateway(createTestLambda(), shape)
    client = clientFor(gateway.baseUrl)
    limitedGateway = await startGateway(createTestLambda({ readMaxBytes: 64 * 1024 }), shape)
    shortLambdaGateway = await startGateway(createTestLambda(), shape, 250)
  })
  afterAll(async () => {
    await Promise.all([gateway.close(), limitedGateway.close(), shortLambdaGateway.close()])
  })

  describe('success', () => {
    test('round-trips a unary call', async () => {
      const reply = await client.echo({ text: 'héllo ☺', payload: new Uint8Array([0, 1, 255]) })
      expect(reply.text).toBe('héllo ☺')
      expect(reply.payload).toEqual(new Uint8Array([0, 1, 255]))
      expect(reply.protocol).toBe('grpc-web')
      expect(reply.timeoutMs).toBe(-1)
    })

    test('round-trips an empty request and reply', async () => {
      const reply = await client.echo({})
      expect(reply.text).toBe('')
      expect(reply.payload).toEqual(new Uint8Array(0))
      expect(reply.number).toBe(0n)
    })

    test.each([
      ['2^53 + 1', 9007199254740993n],
      ['int64 max', 9223372036854775807n],
      ['int64 min', -9223372036854775808n],
      ['-1', -1n],
    ])('keeps every bit of an int64 (%s)', async (_, number) => {
      const reply = await client.echo({ number })
      expect(reply.number).toBe(number)
    })

    test('serves a NO_SIDE_EFFECTS method over POST', async () => {
      await expect(client.lookup({ text: 'abc' })).resolves.toMatchObject({ text: 'found abc' })
    })

    test('a method the service declares but the router lacks is UNIMPLEMENTED', async () => {
      const error = await failure(client.unrouted({}))
      expect(error.code).toBe(Code.Unimplemented)
      expect(error.rawMessage).toContain('/test.v1.TestService/Unrouted')
    })
  })

  describe('errors', () => {
    test.each(errorCodes)('status %i (%s) arrives with its code and message', async (code, name) => {
      const error = await failure(client.fail({ code, message: `failed with ${name}` }))
      expect(error.code).toBe(code)
      expect(error.rawMessage).toBe(`failed with ${name}`)
    })

    test('a message with whitespace, BMP and non-BMP characters arrives unchanged', async () => {
      const error = await failure(client.fail({ code: Code.InvalidArgument, message: unicodeMessage }))
      expect(error.code).toBe(Code.InvalidArgument)
      expect(error.rawMessage).toBe(unicodeMessage)
    })

    test('a message with % and other ASCII punctuation arrives unchanged', async () => {
      const message = '100% done: 50%2 %zz ~!@#$^&*()_+{}|:"<>?'
      const error = await failure(client.fail({ code: Code.Aborted, message }))
      expect(error.rawMessage).toBe(message)
    })

    test('an empty message stays empty', async () => {
      const error = await failure(client.fail({ code: Code.Aborted, message: '' }))
      expect(error.code).toBe(Code.Aborted)
      expect(error.rawMessage).toBe('')
    })

    test('error details decode as the messages the handler attached', async () => {
      const error = await failure(
        client.fail({ code: Code.FailedPrecondition, message: 'with details', withDetails: true }),
      )
      expect(error.code).toBe(Code.FailedPrecondition)
      expect(error.rawMessage).toBe('with details')
      const details = error.findDetails(errorInfoDesc) as unknown as {
        reason: string
        metadata: Record<string, string>
      }[]
      expect(details).toHaveLength(1)
      expect(details[0].reason).toBe('TEST_REASON')
      expect(details[0].metadata).toEqual({ a: 'b' })
    })

    test('an error without details has none', async () => {
      const error = await failure(client.fail({ code: Code.FailedPrecondition, message: 'no details' }))
      expect(error.details).toHaveLength(0)
      expect(error.metadata.has('grpc-status-details-bin')).toBe(false)
    })

    test('a plain Error thrown by the handler is INTERNAL with a generic message', async () => {
      const error = await failure(client.fail({ kind: 'plain', message: 'secret database password' }))
      expect(error.code).toBe(Code.Internal)
      expect(error.rawMessage).not.toContain('secret')
      expect(error.rawMessage).not.toMatch(/\bat\s|Error:/)
    })

    test('createError(409) from @middy/util is ALREADY_EXISTS with its message', async () => {
      const error = await failure(client.fail({ kind: 'http', httpStatus: 409, message: 'exists already' }))
      expect(error.code).toBe(Code.AlreadyExists)
      expect(error.rawMessage).toBe('exists already')
    })
  })

  describe('metadata', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 255])

    test('custom and -bin request headers reach event.grpc.requestHeader', async () => {
      const reply = await client.echo(
        {},
        {
          headers: { 'x-custom': 'custom value', 'X-Mixed-Case': 'Kept', 'x-data-bin': encodeBinaryHeader(bytes) },
        },
      )
      const seen = new Map((reply.headers as string[]).map((line) => line.split(': ') as [string, string]))
      expect(seen.get('x-custom')).toBe('custom value')
      expect(seen.get('x-mixed-case')).toBe('Kept')
      // -bin values are kept as base64 text; padded or not, they decode to the bytes sent.
      expect(new Uint8Array(Buffer.from(seen.get('x-data-bin')!, 'base64'))).toEqual(bytes)
      for (const name of seen.keys()) expect(name).toBe(name.toLowerCase())
    })

    test('response headers and trailers reach onHeader and onTrailer', async () => {
      let header: Headers | undefined
      let trailer: Headers | undefined
      await client.echo(
        {},
        {
          headers: {
            'x-echo-one': 'first',
            'x-echo-data-bin': encodeBinaryHeader(bytes),
            'x-trailer-two': 'second',
            'x-trailer-data-bin': encodeBinaryHeader(bytes),
          },
          onHeader: (h) => (header = h),
          onTrailer: (t) => (trailer = t),
        },
      )
      expect(header?.get('x-echo-one')).toBe('first')
      expect(decodeBinaryHeader(header!.get('x-echo-data-bin')!)).toEqual(bytes)
      expect(header?.has('x-trailer-two')).toBe(false)
      expect(trailer?.get('x-trailer-two')).toBe('second')
      expect(decodeBinaryHeader(trailer!.get('x-trailer-data-bin')!)).toEqual(bytes)
      expect(trailer?.get('grpc-status')).toBe('0')
      expect(trailer?.has('x-echo-one')).toBe(false)
    })

    test('-bin metadata is sent unpadded', async () => {
      let header: Headers | undefined
      let trailer: Headers | undefined
      // 1 and 2 bytes: padded base64 would end with == and =.
      await client.echo(
        {},
        {
          headers: { 'x-echo-a-bin': 'AQ==', 'x-trailer-b-bin': 'AQI=' },
          onHeader: (h) => (header = h),
          onTrailer: (t) => (trailer = t),
        },
      )
      expect(header?.get('x-echo-a-bin')).toBe('AQ')
      expect(trailer?.get('x-trailer-b-bin')).toBe('AQI')
    })

    test('an error carries the headers and trailers set before the throw and its own metadata', async () => {
      const error = await failure(
        client.fail(
          { code: Code.PermissionDenied, message: 'denied' },
          {
            headers: { 'x-echo-before': 'header value', 'x-trailer-before': 'trailer value' },
          },
        ),
      )
      expect(error.code).toBe(Code.PermissionDenied)
      expect(error.metadata.get('x-echo-before')).toBe('header value')
      expect(error.metadata.get('x-trailer-before')).toBe('trailer value')
      expect(error.metadata.get('x-failed')).toBe('yes')
      expect(error.metadata.get('x-error-meta')).toBe('present')
    })
  })

  describe('deadlines', () => {
    test('the handler sees the timeout the client asked for', async () => {
      const reply = await client.echo({}, { timeoutMs: 5000 })
      expect(reply.timeoutMs).toBeGreaterThan(4000)
      expect(reply.timeoutMs).toBeLessThanOrEqual(5000)
    })

    test('a slow handler answers DEADLINE_EXCEEDED at the client timeout, long before it would finish', async () => {
      const error = await failure(client.echo({ delayMs: 5000 }, { timeoutMs: 200 }))
      expect(error.code).toBe(Code.DeadlineExceeded)
    }, 1500)

    test('the server enforces grpc-timeout itself (no client-side timer)', async () => {
      // A grpc-timeout header without timeoutMs: connect-node sends it but sets no timer of its own, so only the
      // server can end this call. The per-test timeout fails a server that lets it run; that the deadline fires at
      // 150 ms and not before is checked on a fake clock in test/hardening.test.ts.
      const error = await failure(client.echo({ delayMs: 5000 }, { headers: { 'grpc-timeout': '150m' } }))
      expect(error.code).toBe(Code.DeadlineExceeded)
    }, 1500)

    test('a malformed grpc-timeout is INVALID_ARGUMENT', async () => {
      const error = await failure(client.echo({}, { headers: { 'grpc-timeout': '123456789m' } }))
      expect(error.code).toBe(Code.InvalidArgument)
    })

    test('a Lambda about to time out answers DEADLINE_EXCEEDED, not a 502', async () => {
      const shortClient = clientFor(shortLambdaGateway.baseUrl)
      const error = await failure(shortClient.echo({ delayMs: 5000 }))
      expect(error.code).toBe(Code.DeadlineExceeded)
      // The handler still ran with the Lambda's own deadline and no client timeout.
      await expect(shortClient.echo({ text: 'quick' })).resolves.toMatchObject({ text: 'quick', timeoutMs: -1 })
    }, 1500)
  })

  describe('compression', () => {
    const text = 'compressible '.repeat(5000)

    test('gzip both ways', async () => {
      const gzipClient = clientFor(gateway.baseUrl, {
        sendCompression: compressionGzip,
        acceptCompression: [compressionGzip],
      })
      let header: Headers | undefined
      const reply = await gzipClient.echo({ text, replyBytes: 50_000 }, { onHeader: (h) => (header = h) })
      expect(reply.text).toBe(text)
      expect(reply.payload).toEqual(new Uint8Array(50_000).fill(7))
      const event = gateway.events.at(-1)
      expect(eventHeader(event, 'grpc-encoding')).toBe('gzip')
      // The request really was compressed on the wire.
      const body = eventBody(event)
      expect(body[0]).toBe(1)
      expect(body.byteLength).toBeLessThan(text.length / 10)
      expect(header?.get('grpc-encoding')).toBe('gzip')
    })

    test('a client that accepts only identity gets an uncompressed reply', async () => {
      const plainClient = clientFor(gateway.baseUrl, { acceptCompression: [] })
      let header: Headers | undefined
      const reply = await plainClient.echo({ replyBytes: 50_000 }, { onHeader: (h) => (header = h) })
      expect(reply.payload.byteLength).toBe(50_000)
      expect(header?.has('grpc-encoding')).toBe(false)
    })
  })

  describe('size limits', () => {
    test('a request at the limit passes', async () => {
      const limited = clientFor(limitedGateway.baseUrl)
      const reply = await limited.echo({ payload: new Uint8Array(60 * 1024).fill(1) })
      expect(reply.payload.byteLength).toBe(60 * 1024)
    })

    test('a request over readMaxBytes is RESOURCE_EXHAUSTED', async () => {
      const limited = clientFor(limitedGateway.baseUrl)
      const error = await failure(limited.echo({ payload: new Uint8Array(70 * 1024).fill(1) }))
      expect(error.code).toBe(Code.ResourceExhausted)
    })

    test('a small gzip request that inflates over readMaxBytes is RESOURCE_EXHAUSTED', async () => {
      const limited = clientFor(limitedGateway.baseUrl, { sendCompression: compressionGzip })
      const error = await failure(limited.echo({ payload: new Uint8Array(1024 * 1024) }))
      expect(error.code).toBe(Code.ResourceExhausted)
      expect(eventBody(limitedGateway.events.at(-1)).byteLength).toBeLessThan(64 * 1024)
    })

    const isAlb = shape === 'alb' || shape === 'alb-multi'
    test(`a reply of 900 KB ${isAlb ? 'does not fit through ALB: RESOURCE_EXHAUSTED' : 'gets through'}`, async () => {
      const plainClient = clientFor(gateway.baseUrl, { acceptCompression: [] })
      const call = plainClient.echo({ replyBytes: 900_000 })
      if (isAlb) {
        const error = await failure(call)
        expect(error.code).toBe(Code.ResourceExhausted)
      } else {
        await expect(call).resolves.toMatchObject({ payload: new Uint8Array(900_000).fill(7) })
      }
    })

    test('a 900 KB reply that gzip shrinks gets through every front door', async () => {
      const gzipClient = clientFor(gateway.baseUrl, { acceptCompression: [compressionGzip] })
      const reply = await gzipClient.echo({ replyBytes: 900_000 })
      expect(reply.payload.byteLength).toBe(900_000)
    })
  })
})
