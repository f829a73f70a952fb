/**
 * The same greeter served four ways (test/typed/greeter.ts: protobufjs reflection, pbjs static module, protobuf-es,
 * ts-proto) passes the same real-client calls (connect-node over Connect proto and JSON, Connect GET, gRPC-Web and
 * gRPC, through the dev server: unary, server-streaming, client-streaming and failing calls), and every family puts
 * the same bytes on the wire.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect'
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import type { Context } from 'aws-lambda'
import {
  createDevServer,
  createLambdaContext,
  createReflectionServices,
  type DevServer,
  describeServices,
} from '../../src/dev-server/index.js'
import { projectRoot } from '../support/dist.js'
import { frame } from '../support/frames.js'
import { loadClientRegistry } from '../support/client-schema.js'
import { type FamilyName, createGreeterLambda, esGreeter, families, greeting, reflectionGreeter } from './greeter.js'
import middy from '@middy/core'
import { type GrpcEvent, type MethodHandler, grpcFraming, grpcRouter } from '../../src/index.js'
import { buildMethodTable } from '../../src/methods.js'
import { loadEvent } from '../fixtures/load-event.js'

const require = createRequire(import.meta.url)
const greeterDesc = loadClientRegistry('test/typed/proto').getService('hello.v1.Greeter') as DescService
const familyNames = Object.keys(families) as FamilyName[]
const blob = new Uint8Array([0, 1, 2, 250])

const rows: [string, (baseUrl: string) => Transport][] = [
  ['Connect proto', (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1' })],
  ['Connect JSON', (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false })],
  ['Connect GET', (baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useHttpGet: true })],
  ['gRPC-Web', (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' })],
  ['gRPC (h2c)', (baseUrl) => createGrpcTransport({ baseUrl })],
]

describe.each(familyNames)('the greeter from %s code', (family) => {
  let server: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: createGreeterLambda(family) as never, eventShape: 'v2', logger: false })
  })
  afterAll(() => server.close())

  test.each(rows)('connect-node %s: unary, server stream, client stream, error', async (_row, transport) => {
    const client = createClient(greeterDesc, transport(server.url)) as any
    const request = { name: 'Ada', count: 41n, blob }
    const expected = { message: 'Hello, Ada', count: 42n, blob, words: ['typed', 'greeter'], replyKind: '' }
    expect(await client.lookup(request)).toMatchObject(expected)
    expect(await client.sayHello(request)).toMatchObject(expected)
    const stream: { message: string; count: bigint }[] = []
    for await (const reply of client.sayHellos(request)) stream.push({ message: reply.message, count: reply.count })
    expect(stream).toEqual([41n, 42n, 43n].map((count) => ({ message: 'Hello, Ada', count })))
    async function* names() {
      yield { name: 'Ada', count: 1n }
      yield { name: 'Grace', count: 2n }
    }
    expect(await client.collectHellos(names())).toMatchObject({ message: 'Hello, Ada and Grace', count: 3n })
    const error = await client
      .fail({ code: 5, message: 'no such greeter ☺' })
      .catch((e: unknown) => ConnectError.from(e))
    expect([error.code, error.rawMessage]).toEqual([Code.NotFound, 'no such greeter ☺'])
  })
})

/** An HTTP API v2 event for `path` with this content type and body. */
function v2Event(path: string, contentType: string, body: Uint8Array): unknown {
  const event = loadEvent('http-api-v2')
  event.rawPath = path
  event.requestContext.http.path = path
  event.rawQueryString = ''
  delete event.queryStringParameters
  event.headers = { 'content-type': contentType, host: event.headers.host }
  event.body = Buffer.from(body).toString('base64')
  event.isBase64Encoded = true
  return event
}

async function invoke(family: FamilyName, event: unknown): Promise<{ status: number; body: Buffer }> {
  const context: Context = createLambdaContext(10_000)
  const result = (await createGreeterLambda(family)(event as never, context)) as {
    statusCode: number
    body: string
    isBase64Encoded?: boolean
  }
  return { status: result.statusCode, body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') }
}

describe('every family puts the same bytes on the wire', () => {
  // HelloRequest { name: "Ada", count: 41, blob: 00 01 02 fa, greeting_word: "hi" }, encoded by hand.
  const request = Buffer.from('0a0341646110291a04000102fa22026869', 'hex')
  const json = Buffer.from(JSON.stringify({ name: 'Ada', count: '41', blob: 'AAEC+g==', greeting_word: 'hi' }))

  async function bodies(event: () => unknown): Promise<Record<FamilyName, string>> {
    const out = {} as Record<FamilyName, string>
    for (const family of familyNames) {
      const { status, body } = await invoke(family, event())
      out[family] = `${status} ${body.toString('hex')}`
    }
    return out
  }

  const same = (value: string) => Object.fromEntries(familyNames.map((family) => [family, value]))

  test('Connect proto unary', async () => {
    const out = await bodies(() => v2Event('/hello.v1.Greeter/SayHello', 'application/proto', request))
    // HelloReply { message: "Hello, Ada", count: 42, blob: 00 01 02 fa, words: ["typed", "greeter"] }
    const reply = '0a0a48656c6c6f2c20416461102a1a04000102fa22057479706564220767726565746572'
    expect(out).toEqual(same(`200 ${reply}`))
  })

  test('gRPC-Web server stream', async () => {
    const out = await bodies(() =>
      v2Event('/hello.v1.Greeter/SayHellos', 'application/grpc-web+proto', frame(0, request)),
    )
    // Three HelloReply frames { message: "Hello, Ada", count: 41, 42, 43 }, then the OK trailer frame.
    const replies = [0x29, 0x2a, 0x2b].map((count) => `000000000e0a0a48656c6c6f2c20416461 10${count.toString(16)}`)
    const trailer = Buffer.from('grpc-status: 0\r\n')
    const trailerFrame = `80${trailer.byteLength.toString(16).padStart(8, '0')}${trailer.toString('hex')}`
    expect(out).toEqual(same(`200 ${replies.join('').replaceAll(' ', '')}${trailerFrame}`))
  })

  test('Connect error', async () => {
    const failRequest = Buffer.from('0805120474657374', 'hex') // FailRequest { code: 5, message: "test" }
    const out = await bodies(() => v2Event('/hello.v1.Greeter/Fail', 'application/proto', failRequest))
    expect(out).toEqual(same(`404 ${Buffer.from('{"code":"not_found","message":"test"}').toString('hex')}`))
  })

  test('Connect JSON: the protobufjs families and protobuf-es alike; ts-proto with int64 as a JSON number', async () => {
    const out = await bodies(() => v2Event('/hello.v1.Greeter/SayHello', 'application/json', json))
    const text = (family: FamilyName) => Buffer.from(out[family].slice(4), 'hex').toString()
    const canonical = '{"message":"Hello, Ada","count":"42","blob":"AAEC+g==","words":["typed","greeter"]}'
    expect(text('protobuf-es')).toBe(canonical)
    expect(text('protobufjs reflection')).toBe(canonical)
    expect(text('protobufjs static')).toBe(canonical)
    expect(text('ts-proto')).toBe(canonical.replace('"42"', '42'))
  })
})

test('grpcRouter(service, handlers) refuses a key that is no method of the service', () => {
  const handler = (event: GrpcEvent) => ({ message: event.message.name })
  expect(() => grpcRouter(reflectionGreeter, { SayGoodbye: handler })).toThrow(
    'middy-grpc: grpcRouter: the service has no method "SayGoodbye"',
  )
  expect(() => grpcRouter(families['protobuf-es'].service, { SayHello: handler } as never)).toThrow(
    'the service has no method "SayHello"',
  )
})

// protobufjs 8 (test:latest) leaves such fields out as the others do; protobufjs 7 writes them.
const protobufjsMajor = Number(
  JSON.parse(readFileSync(require.resolve('protobufjs/package.json'), 'utf8')).version.split('.')[0],
)

test(`a reply field set to its default value: protobufjs ${protobufjsMajor} ${protobufjsMajor >= 8 ? 'leaves it out' : 'sends it'}, protobuf-es and ts-proto leave it out`, () => {
  const encode = (family: FamilyName, key: string) => {
    const { service } = families[family]
    const method = buildMethodTable(service, key).values().next().value
    return Buffer.from(method!.responseCodec.encodeBinary({ message: 'a', blob: new Uint8Array() })).toString('hex')
  }
  const protobufjs = protobufjsMajor >= 8 ? '0a0161' : '0a01611a00'
  expect({
    'protobufjs reflection': encode('protobufjs reflection', 'SayHello'),
    'protobufjs static': encode('protobufjs static', 'SayHello'),
    'protobuf-es': encode('protobuf-es', 'sayHello'),
    'ts-proto': encode('ts-proto', 'sayHello'),
  }).toEqual({
    'protobufjs reflection': protobufjs,
    'protobufjs static': protobufjs,
    'protobuf-es': '0a0161',
    'ts-proto': '0a0161',
  })
})

test("a single-method function names its method by the family's key", async () => {
  const sayHello: MethodHandler<typeof esGreeter, 'sayHello'> = (event) => ({ message: greeting(event.message.name) })
  const lambda = middy()
    .use(grpcFraming({ service: esGreeter, method: 'sayHello', logger: false }))
    .handler(sayHello)
  const call = async (path: string) => {
    const event = v2Event(path, 'application/proto', Buffer.from('0a03416461', 'hex')) // { name: "Ada" }
    const result = (await lambda(event as never, createLambdaContext(10_000))) as { statusCode: number; body: string }
    return { status: result.statusCode, body: Buffer.from(result.body, 'base64').toString('hex') }
  }
  expect(await call('/hello.v1.Greeter/SayHello')).toEqual({ status: 200, body: '0a0a48656c6c6f2c20416461' })
  expect((await call('/hello.v1.Greeter/Lookup')).status).toBe(404)
  expect(() => grpcFraming({ service: esGreeter, method: 'sayGoodbye' as 'sayHello' })).toThrow(
    'middy-grpc: the service has no method "sayGoodbye"',
  )
})

test('gRPC reflection describes a protobuf-es service from its generated file: buf curl --reflect lists and calls it', async () => {
  const server = await createDevServer({
    handler: createGreeterLambda('protobuf-es') as never,
    eventShape: 'v2',
    logger: false,
    localServices: createReflectionServices(() => describeServices([esGreeter])),
  })
  try {
    const buf = async (...args: string[]) =>
      (
        await promisify(execFile)(join(projectRoot, 'node_modules', '.bin', 'buf'), [
          'curl',
          '--http2-prior-knowledge',
          ...args,
        ])
      ).stdout
    const listed = (await buf('--list-methods', server.url)).split('\n').filter(Boolean)
    expect(listed).toEqual([
      'hello.v1.Greeter/CollectHellos',
      'hello.v1.Greeter/Fail',
      'hello.v1.Greeter/Lookup',
      'hello.v1.Greeter/SayHello',
      'hello.v1.Greeter/SayHellos',
    ])
    const called = await buf('--reflect', '--data', '{"name":"buf"}', `${server.url}/hello.v1.Greeter/SayHello`)
    expect(JSON.parse(called)).toMatchObject({ message: 'Hello, buf' })
  } finally {
    await server.close()
  }
}, 60_000)
