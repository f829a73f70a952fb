import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import { GrpcWebFetchTransport } from '@protobuf-ts/grpcweb-transport'
import { RpcError } from '@protobuf-ts/runtime-rpc'
import { TwirpFetchTransport } from '@protobuf-ts/twirp-transport'
import { createDevServer, type DevServer } from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import { loadClientRegistry } from './support/client-schema.js'
import { callWithGrpcio, hasGrpcio } from './support/grpcio.js'
import { EchoRequestType, FailRequestType, echoMethod, failMethod } from './support/protobuf-ts-schema.js'
import { EchoRequest, EchoResponse, createTestLambda, testRoot } from './support/test-service.js'
import {
  acknowledgeWithGrpcJs,
  chunks,
  expectedAcks,
  expectedSummary,
  send,
  summaryOf,
  uploadWithGrpcJs,
  uploadWithGrpcio,
  uploaderDesc,
} from './support/upload-clients.js'

/**
 * Every real client × every Lambda front door (the dev server imitating each event shape), each calling Echo (must
 * succeed) and Fail with NOT_FOUND (must fail with that code and message); the request-stream rows call the upload
 * example's client stream and half-duplex bidi method (every message must arrive, in order). The table is printed
 * and written to test-artifacts/client-matrix.md; the README shows it.
 */
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const serviceDesc = loadClientRegistry('test/proto').getService('test.v1.TestService') as DescService
const FailRequest = testRoot.lookupType('test.v1.FailRequest')
const notFound = { code: 5, message: 'no such thing ☺' }

type Probe = (url: string) => Promise<void>

function connectNode(
  transport: (baseUrl: string) => Parameters<typeof createClient>[1],
  method: 'echo' | 'lookup' = 'echo',
): Probe {
  return async (url) => {
    const client = createClient(serviceDesc, transport(url)) as any
    const reply = await client[method]({ text: 'matrix' })
    expect(reply.text).toBe(method === 'echo' ? 'matrix' : 'found matrix')
    const error = await client.fail(notFound).catch((e: unknown) => ConnectError.from(e))
    expect([error.code, error.rawMessage]).toEqual([Code.NotFound, notFound.message])
  }
}

function protobufTs(
  transport: (url: string) => GrpcWebFetchTransport | TwirpFetchTransport,
  notFoundCode: string,
): Probe {
  return async (url) => {
    const t = transport(url)
    const reply = await t.unary(echoMethod, EchoRequestType.create({ text: 'matrix' }), t.mergeOptions({})).response
    expect(reply.text).toBe('matrix')
    const error = (await t
      .unary(failMethod, FailRequestType.create(notFound), t.mergeOptions({}))
      .response.catch((e: unknown) => e)) as RpcError
    expect(error).toBeInstanceOf(RpcError)
    expect(error.code).toBe(notFoundCode)
  }
}

const grpcJs: Probe = async (url) => {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  const call = <T>(path: string, request: Uint8Array, decode: (b: Buffer) => T) =>
    new Promise<T>((resolve, reject) =>
      client.makeUnaryRequest(
        path,
        (b: Uint8Array) => Buffer.from(b),
        decode,
        request,
        (error, value) => (error ? reject(error) : resolve(value!)),
      ),
    )
  try {
    const reply = await call(
      '/test.v1.TestService/Echo',
      EchoRequest.encode({ text: 'matrix' }).finish(),
      (b) => EchoResponse.decode(b) as any,
    )
    expect(reply.text).toBe('matrix')
    const error = await call('/test.v1.TestService/Fail', FailRequest.encode(notFound).finish(), (b) => b).catch(
      (e: grpc.ServiceError) => e,
    )
    expect([(error as grpc.ServiceError).code, (error as grpc.ServiceError).details]).toEqual([
      grpc.status.NOT_FOUND,
      notFound.message,
    ])
  } finally {
    client.close()
  }
}

/** connect-node: a client stream and a half-duplex bidi call to the upload example. */
function connectNodeStreams(transport: (baseUrl: string) => Parameters<typeof createClient>[1]): Probe {
  return async (url) => {
    const client = createClient(uploaderDesc, transport(url)) as any
    expect(summaryOf(await client.upload(send(chunks)))).toEqual(expectedSummary)
    const acks: unknown[] = []
    for await (const ack of client.acknowledge(send(chunks))) acks.push({ seq: ack.seq, bytes: ack.bytes })
    expect(acks).toEqual(expectedAcks)
  }
}

const grpcJsStreams: Probe = async (url) => {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  try {
    expect(await uploadWithGrpcJs(client, chunks)).toEqual(expectedSummary)
    expect(await acknowledgeWithGrpcJs(client, chunks)).toEqual(expectedAcks)
  } finally {
    client.close()
  }
}

const grpcioStreams: Probe = async (url) => {
  expect(await uploadWithGrpcio(url)).toEqual({ summary: expectedSummary, acks: expectedAcks })
}

const grpcio: Probe = async (url) => {
  const out = await callWithGrpcio(
    url,
    EchoRequest.encode({ text: 'matrix' }).finish(),
    FailRequest.encode(notFound).finish(),
  )
  expect((EchoResponse.decode(Buffer.from(out.reply, 'hex')) as any).text).toBe('matrix')
  expect(out.error).toEqual({ code: 5, details: notFound.message })
}

/** Client, protocol, probe, and which function it calls: TestService (default) or the upload example. */
const clients: [string, string, Probe | undefined, 'upload'?][] = [
  ['connect-node', 'gRPC-Web', connectNode((baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }))],
  ['connect-node', 'Connect proto', connectNode((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1' }))],
  [
    'connect-node',
    'Connect JSON',
    connectNode((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false })),
  ],
  [
    'connect-node',
    'Connect GET',
    connectNode((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useHttpGet: true }), 'lookup'),
  ],
  [
    'protobuf-ts',
    'gRPC-Web text',
    protobufTs((baseUrl) => new GrpcWebFetchTransport({ baseUrl, format: 'text' }), 'NOT_FOUND'),
  ],
  [
    'protobuf-ts',
    'Twirp JSON',
    protobufTs((url) => new TwirpFetchTransport({ baseUrl: `${url}/twirp`, sendJson: true }), 'not_found'),
  ],
  [
    'protobuf-ts',
    'Twirp proto',
    protobufTs((url) => new TwirpFetchTransport({ baseUrl: `${url}/twirp` }), 'not_found'),
  ],
  ['@grpc/grpc-js', 'gRPC (h2c, dev server trailers)', grpcJs],
  ['python3-grpcio', 'gRPC (h2c, dev server trailers)', hasGrpcio ? grpcio : undefined],
  [
    'connect-node',
    'gRPC-Web client stream + half-duplex bidi',
    connectNodeStreams((baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' })),
    'upload',
  ],
  [
    'connect-node',
    'Connect proto client stream + half-duplex bidi',
    connectNodeStreams((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1' })),
    'upload',
  ],
  [
    'connect-node',
    'Connect JSON client stream + half-duplex bidi',
    connectNodeStreams((baseUrl) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false })),
    'upload',
  ],
  ['@grpc/grpc-js', 'gRPC client stream + bidi (h2c, dev server trailers)', grpcJsStreams, 'upload'],
  [
    'python3-grpcio',
    'gRPC client stream + bidi (h2c, dev server trailers)',
    hasGrpcio ? grpcioStreams : undefined,
    'upload',
  ],
]

const results = new Map<string, string>()
const cell = (client: string, protocol: string, shape: EventShape) => `${client} ${protocol} ${shape}`

describe.each(shapes)('client matrix through a %s event', (shape) => {
  let server: DevServer
  let uploadServer: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: createTestLambda() as never, eventShape: shape, logger: false })
    // The example is plain JavaScript, as users deploy it.
    const { handler } = (await import('../examples/upload/handler.js' as string)) as { handler: unknown }
    uploadServer = await createDevServer({ handler: handler as never, eventShape: shape, logger: false })
  })
  afterAll(() => Promise.all([server.close(), uploadServer.close()]))

  // Every row gets its fourth column: a callback taking more arguments than a row has is given jest's `done`.
  const rows = clients.map(([client, protocol, probe, target]) => [client, protocol, probe, target ?? 'test'] as const)
  test.each(rows)('%s %s', async (client, protocol, probe, target) => {
    if (probe === undefined) {
      results.set(cell(client, protocol, shape), 'skipped (not installed)')
      return
    }
    results.set(cell(client, protocol, shape), '✗')
    await probe(target === 'upload' ? uploadServer.url : server.url)
    results.set(cell(client, protocol, shape), '✓')
  })
})

afterAll(() => {
  const header = `| client | protocol | ${shapes.join(' | ')} |\n|---|---|${shapes.map(() => '---').join('|')}|\n`
  const rows = clients
    .map(
      ([client, protocol]) =>
        `| ${client} | ${protocol} | ${shapes.map((s) => results.get(cell(client, protocol, s)) ?? '–').join(' | ')} |`,
    )
    .join('\n')
  const table = `${header + rows}\n`
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'client-matrix.md'), table)
  console.log(`client matrix (✓ = success and NOT_FOUND error both right):\n${table}`)
})
