import type { DescMessage, DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { compressionGzip, createConnectTransport } from '@connectrpc/connect-node'
import type { EventShape } from '../src/event/shape.js'
import { loadClientRegistry } from './support/client-schema.js'
import { startGateway, type Gateway } from './support/gateway.js'
import { createTestLambda } from './support/test-service.js'

const registry = loadClientRegistry('test/proto')
const serviceDesc = registry.getService('test.v1.TestService') as DescService
const errorInfoDesc = registry.getMessage('test.v1.ErrorInfo') as DescMessage
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const variants = [
  { name: 'binary', useBinaryFormat: true, useHttpGet: false },
  { name: 'JSON', useBinaryFormat: false, useHttpGet: false },
  { name: 'binary GET', useBinaryFormat: true, useHttpGet: true },
  { name: 'JSON GET', useBinaryFormat: false, useHttpGet: true },
]

describe.each(shapes)('connect-node Connect client through a %s event', (shape) => {
  let gateway: Gateway
  beforeAll(async () => {
    gateway = await startGateway(createTestLambda(), shape)
  })
  afterAll(() => gateway.close())

  const clientFor = (variant: (typeof variants)[number], extra: object = {}): any =>
    createClient(
      serviceDesc,
      createConnectTransport({ baseUrl: gateway.baseUrl, httpVersion: '1.1', ...variant, ...extra }),
    )

  test.each(variants)('$name: unary success with metadata and int64', async (variant) => {
    const headers = new Headers()
    const trailers = new Headers()
    const reply = await clientFor(variant).echo(
      { text: 'héllo ☺ & =?', payload: new Uint8Array([0, 255]), number: 9007199254740993n },
      {
        headers: { 'x-echo-one': 'a', 'x-trailer-two': 'b' },
        onHeader: (h: Headers) => h.forEach((v, k) => void headers.set(k, v)),
        onTrailer: (t: Headers) => t.forEach((v, k) => void trailers.set(k, v)),
      },
    )
    expect(reply.text).toBe('héllo ☺ & =?')
    expect(reply.payload).toEqual(new Uint8Array([0, 255]))
    expect(reply.number).toBe(9007199254740993n)
    expect(reply.protocol).toBe('connect')
    expect(headers.get('x-echo-one')).toBe('a')
    expect(trailers.get('x-trailer-two')).toBe('b')
  })

  test.each(variants.filter((v) => !v.useHttpGet))('$name: error with details and metadata', async (variant) => {
    const error = await clientFor(variant)
      .fail({ code: 9, message: 'precondition ☺', withDetails: true })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectError)
    expect(error.code).toBe(Code.FailedPrecondition)
    expect(error.rawMessage).toBe('precondition ☺')
    expect(error.findDetails(errorInfoDesc)[0].reason).toBe('TEST_REASON')
    expect(error.metadata.get('x-error-meta')).toBe('present')
    expect(error.metadata.get('x-failed')).toBe('yes')
  })

  test('GET serves methods without side effects and only those', async () => {
    const refused = await fetch(`${gateway.baseUrl}/test.v1.TestService/Fail?connect=v1&encoding=json&message=%7B%7D`)
    expect(refused.status).toBe(405)
    expect(refused.headers.get('allow')).toBe('POST, OPTIONS')
    const lookup = await clientFor(variants[2]).lookup({ text: 'x' })
    expect(lookup.text).toBe('found x')
    expect(gateway.events.at(-1)).toMatchObject(
      shape === 'v2' || shape === 'url' ? { requestContext: { http: { method: 'GET' } } } : { httpMethod: 'GET' },
    )
  })

  test('gzip both ways', async () => {
    const client = clientFor(variants[0], {
      sendCompression: compressionGzip,
      acceptCompression: [compressionGzip],
      compressMinBytes: 1,
    })
    const reply = await client.echo({ text: 'x'.repeat(5000), replyBytes: 100_000 })
    expect(reply.text).toBe('x'.repeat(5000))
    expect(reply.payload.byteLength).toBe(100_000)
  })
})
