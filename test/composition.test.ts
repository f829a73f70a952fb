import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import middy, { type MiddlewareObj } from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import inputOutputLogger from '@middy/input-output-logger'
import { createError } from '@middy/util'
import { grpcHttpEvent, grpcMessages, grpcProtocol } from '../src/index.js'
import { loadClientRegistry } from './support/client-schema.js'
import { startGateway, type Gateway } from './support/gateway.js'
import { TestService, testHandlers } from './support/test-service.js'

// Each middleware of grpcFraming used on its own, with other Middy middlewares between them, called by a real
// Connect client (connect-node) through an HTTP API front door.

const serviceDesc = loadClientRegistry('test/proto').getService('test.v1.TestService') as DescService

/** A middleware of our own between two of ours: it records what each hook saw. */
function spy(seen: string[]): MiddlewareObj {
  return {
    before: (request) => {
      const event = request.event as { message?: { text?: string }; grpc?: { protocol: string } }
      seen.push(`before message=${event.message?.text ?? '-'} protocol=${event.grpc?.protocol ?? '-'}`)
    },
    after: () => void seen.push('after'),
  }
}

describe('the middlewares of grpcFraming, each used alone with others between them', () => {
  const seen: string[] = []
  const logged: unknown[] = []
  let gateway: Gateway
  beforeAll(async () => {
    const handler = middy()
      .use(inputOutputLogger({ logger: (entry: unknown) => void logged.push(entry) }))
      .use(grpcHttpEvent())
      .use(httpHeaderNormalizer())
      .use(spy(seen))
      .use(grpcProtocol({ readMaxBytes: 1024, logger: false }))
      .use(httpErrorHandler({ logger: false }))
      .use(grpcMessages({ service: TestService }))
      .before((request) => {
        if ((request.event as { message: { text: string } }).message.text === 'reject me') {
          throw createError(400, 'rejected by a validator')
        }
      })
      .handler(testHandlers)
    gateway = await startGateway(handler, 'v2')
  })
  afterAll(() => gateway.close())

  const client = (): any =>
    createClient(serviceDesc, createConnectTransport({ baseUrl: gateway.baseUrl, httpVersion: '1.1' }))

  test('a unary call passes through every middleware and back', async () => {
    seen.length = 0
    logged.length = 0
    const reply = await client().echo({ text: 'between' }, { headers: { 'X-Echo-Case': 'kept' } })
    expect(reply.text).toBe('between')
    expect(reply.protocol).toBe('connect')
    expect(reply.headers).toContain('x-echo-case: kept')
    // grpcHttpEvent ran before the spy; grpcMessages after it, so the spy saw no message yet.
    expect(seen).toEqual(['before message=- protocol=-', 'after'])
    // input-output-logger saw the raw event and the Lambda result in the event's shape.
    expect(logged.map((entry) => Object.keys(entry as object))).toEqual([['event'], ['response']])
  })

  test('a middleware after grpcMessages rejects the request: INVALID_ARGUMENT', async () => {
    const error = await client()
      .echo({ text: 'reject me' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectError)
    expect(error.code).toBe(Code.InvalidArgument)
    expect(error.rawMessage).toBe('rejected by a validator')
  })

  test("grpcProtocol's readMaxBytes applies between the others: RESOURCE_EXHAUSTED", async () => {
    const error = await client()
      .echo({ text: 'x'.repeat(2000) })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectError)
    expect(error.code).toBe(Code.ResourceExhausted)
    expect(error.rawMessage).toMatch(/is larger than the limit 1024/)
  })

  test("a handler's GrpcError keeps its status with http-error-handler between grpcProtocol and grpcMessages", async () => {
    const error = await client()
      .fail({ code: 9, message: 'precondition' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectError)
    expect(error.code).toBe(Code.FailedPrecondition)
    expect(error.rawMessage).toBe('precondition')
  })
})

/** Holds every hook for the milliseconds the request's `x-hold-ms` header says, so that concurrent calls interleave. */
function holding(): MiddlewareObj {
  const hold = async (request: { event: unknown }): Promise<void> => {
    const headers = (request.event as { headers?: Record<string, string> }).headers ?? {}
    await new Promise((resolve) => setTimeout(resolve, Number(headers['x-hold-ms'] ?? 0)))
  }
  return { before: hold, after: hold }
}

describe('concurrent calls through the middlewares with awaits between them', () => {
  let gateway: Gateway
  beforeAll(async () => {
    const handler = middy()
      .use(grpcHttpEvent())
      .use(holding())
      .use(grpcProtocol({ logger: false }))
      .use(holding())
      .use(grpcMessages({ service: TestService }))
      .use(holding())
      .handler(testHandlers)
    gateway = await startGateway(handler, 'v2')
  })
  afterAll(() => gateway.close())

  test('50 calls at once with different payloads each get their own reply (gRPC-Web and Connect)', async () => {
    // No compression: compressed replies are new bytes, these are written where the codec encoded them.
    const options = { baseUrl: gateway.baseUrl, httpVersion: '1.1' as const, acceptCompression: [] }
    const transports = [createGrpcWebTransport(options), createConnectTransport(options)]
    const calls = Array.from({ length: 50 }, (_, i) => {
      // Sizes from 1 B to about 100 KiB, so that replies of one size are written where larger ones were.
      const payload = new Uint8Array(((i * 37) % 50) * 2011 + 1).fill(i)
      const client: any = createClient(serviceDesc, transports[i % 2])
      const request = { text: `call ${i}`, payload, delayMs: (i * 3) % 7 }
      return client
        .echo(request, { headers: { 'x-hold-ms': String((i * 7) % 11) } })
        .then((reply: { text: string; payload: Uint8Array }) => ({ i, payload, reply }))
    })
    const results = await Promise.all(calls)
    const mismatched = results
      .filter(({ i, payload, reply }) => reply.text !== `call ${i}` || !Buffer.from(reply.payload).equals(payload))
      .map(({ i }) => i)
    expect(mismatched).toEqual([])
    expect(results).toHaveLength(50)
  })
})
