import { createHash } from 'node:crypto'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import { type DevServer, createDevServer } from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import type { LambdaFunction } from './support/gateway.js'
import { hasGrpcio } from './support/grpcio.js'
import {
  acknowledgeWithGrpcJs,
  chunks,
  expectedAcks,
  expectedSummary as expected,
  send,
  summaryOf,
  uploaderDesc as uploader,
  uploadWithGrpcio,
  uploadWithGrpcJs,
} from './support/upload-clients.js'

/**
 * Client streaming and half-duplex bidi with real clients, through every Lambda front door (the dev server imitating
 * each event shape), served by the upload example (examples/upload/handler.js) as users deploy it.
 */
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']

const transports = {
  'Connect proto': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1' }),
  'Connect JSON': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }),
  'gRPC-Web': (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }),
}
type TransportName = keyof typeof transports

let handler: LambdaFunction
beforeAll(async () => {
  // The example is plain JavaScript, as users deploy it.
  handler = ((await import('../examples/upload/handler.js' as string)) as { handler: LambdaFunction }).handler
})

describe.each(shapes)('through a %s event', (shape) => {
  let server: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: handler as never, eventShape: shape, logger: false })
  })
  afterAll(() => server.close())

  describe.each(Object.keys(transports) as TransportName[])('connect-node %s over HTTP/1.1', (name) => {
    test('a client stream reaches the handler with every message, in order', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      expect(summaryOf(await client.upload(send(chunks)))).toEqual(expected)
    })

    test('zero messages are a valid client stream', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const empty = createHash('sha256').digest('hex')
      expect(summaryOf(await client.upload(send([])))).toEqual({ chunks: 0, bytes: 0, sha256: empty, seqs: [] })
    })

    test("the handler's error after some messages reaches the client", async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const error = await client
        .upload(send([chunks[0], { seq: 5, data: new Uint8Array(0) }, chunks[1]]))
        .catch((e: unknown) => ConnectError.from(e))
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, 'chunk 5 is empty'])
    })

    test('a half-duplex bidi call: every request sent, then every reply', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const acks: unknown[] = []
      for await (const ack of client.acknowledge(send(chunks))) acks.push({ seq: ack.seq, bytes: ack.bytes })
      expect(acks).toEqual(expectedAcks)
    })
  })

  describe('@grpc/grpc-js over h2c (the dev server sends real trailers)', () => {
    let client: grpc.Client
    beforeAll(() => {
      client = new grpc.Client(server.url.replace('http://', ''), grpc.credentials.createInsecure())
    })
    afterAll(() => client.close())

    test('a client stream reaches the handler with every message, in order', async () => {
      expect(await uploadWithGrpcJs(client, chunks)).toEqual(expected)
    })

    test('a bidi call: every request sent and half-closed, then every reply', async () => {
      expect(await acknowledgeWithGrpcJs(client, chunks)).toEqual(expectedAcks)
    })
  })

  const grpcioTest = hasGrpcio ? test : test.skip
  grpcioTest('python3-grpcio over h2c: a client stream and a bidi call', async () => {
    expect(await uploadWithGrpcio(server.url)).toEqual({ summary: expected, acks: expectedAcks })
  })
})

describe('a bidi client that waits for a reply before sending its next message', () => {
  let server: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: handler as never, eventShape: 'v2', logger: false })
  })
  afterAll(() => server.close())

  test('waits until its deadline: no reply leaves before the whole request arrived', async () => {
    const client = createClient(uploader, transports['Connect proto'](server.url)) as any
    let firstReply: () => void = () => undefined
    const replied = new Promise<void>((resolve) => {
      firstReply = resolve
    })
    // Full-duplex style: the second chunk is sent only once the first acknowledgement arrived.
    async function* pingPong() {
      yield chunks[0]
      await replied
      yield chunks[1]
    }
    const acks: unknown[] = []
    const error = await (async () => {
      for await (const ack of client.acknowledge(pingPong(), { timeoutMs: 300 })) {
        acks.push(ack)
        firstReply()
      }
    })().catch((e: unknown) => ConnectError.from(e))
    expect(acks).toEqual([])
    expect((error as ConnectError).code).toBe(Code.DeadlineExceeded)
  })
})
