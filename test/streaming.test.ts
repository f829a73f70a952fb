import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import type { EventShape } from '../src/event/shape.js'
import { loadClientRegistry } from './support/client-schema.js'
import { startGateway, type Gateway } from './support/gateway.js'
import * as grpc from '@grpc/grpc-js'
import { createDevServer, installAwsLambdaGlobal, type DevServer } from '../src/dev-server/index.js'
import { createBufferedLambda, createStreamingLambda, produced, streamingRoot } from './support/streaming-service.js'

// The Lambda runtime's `awslambda` global, which a streamified Middy handler needs while it is created.
installAwsLambdaGlobal()
const serviceDesc = loadClientRegistry('test/proto').getService('test.stream.v1.StreamService') as DescService

const transports = {
  'gRPC-Web': (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }),
  'Connect proto': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1' }),
  'Connect JSON': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }),
}
type TransportName = keyof typeof transports

async function receive(client: any, request: object, options: object = {}) {
  const replies: { index: number; producedAt: number; arrivedAt: number; bytes: number }[] = []
  for await (const reply of client.count(request, options)) {
    replies.push({
      index: reply.index,
      producedAt: reply.producedAt,
      arrivedAt: Date.now(),
      bytes: reply.payload.byteLength,
    })
  }
  return replies
}

describe.each(Object.keys(transports) as TransportName[])('server streaming with connect-node %s', (name) => {
  describe('through Lambda response streaming (the dev server as a Function URL in RESPONSE_STREAM mode)', () => {
    let gateway: DevServer
    let client: any
    beforeAll(async () => {
      gateway = await createDevServer({
        handler: (await createStreamingLambda()) as never,
        eventShape: 'url',
        logger: false,
      })
      client = createClient(serviceDesc, transports[name](gateway.url))
    })
    afterAll(() => gateway.close())

    test('the first message arrives before the handler produces the last', async () => {
      const replies = await receive(client, { count: 4, intervalMs: 150 })
      expect(replies.map((r) => r.index)).toEqual([0, 1, 2, 3])
      const last = produced.filter((p) => p.index === 3).at(-1)!
      expect(replies[0].arrivedAt).toBeLessThan(last.at)
    })

    test('headers and trailers', async () => {
      let header: Headers | undefined
      let trailer: Headers | undefined
      await receive(
        client,
        { count: 2 },
        { onHeader: (h: Headers) => (header = h), onTrailer: (t: Headers) => (trailer = t) },
      )
      expect(header?.get('x-stream')).toBe('yes')
      expect(trailer?.get('x-count')).toBe('2')
    })

    test('an error after some messages ends the stream with its status', async () => {
      const replies: number[] = []
      const error = await (async () => {
        for await (const reply of client.count({ count: 5, failAfter: 2 })) replies.push(reply.index)
      })().catch((e: unknown) => e)
      expect(replies).toEqual([0, 1])
      expect(error).toBeInstanceOf(ConnectError)
      expect((error as ConnectError).code).toBe(Code.Aborted)
      expect((error as ConnectError).rawMessage).toBe('stopped after 2')
    })

    test('the deadline ends a slow stream with DEADLINE_EXCEEDED', async () => {
      const error = await receive(client, { count: 10, intervalMs: 200 }, { timeoutMs: 450 }).catch((e: unknown) => e)
      expect((error as ConnectError).code).toBe(Code.DeadlineExceeded)
    }, 1500)

    test('large messages stream through', async () => {
      const replies = await receive(client, { count: 3, replyBytes: 2_000_000 })
      expect(replies.map((r) => r.bytes)).toEqual([2_000_000, 2_000_000, 2_000_000])
    })
  })

  describe.each(['v2', 'alb', 'v1'] as EventShape[])('buffered through a %s event', (shape) => {
    let gateway: Gateway
    let client: any
    beforeAll(async () => {
      gateway = await startGateway(createBufferedLambda(), shape)
      client = createClient(serviceDesc, transports[name](gateway.baseUrl))
    })
    afterAll(() => gateway.close())

    test('the whole stream arrives', async () => {
      expect((await receive(client, { count: 3 })).map((r) => r.index)).toEqual([0, 1, 2])
      expect(await receive(client, { count: 0 })).toEqual([])
    })

    test('an error after some messages', async () => {
      const replies: number[] = []
      const error = await (async () => {
        for await (const reply of client.count({ count: 5, failAfter: 1 })) replies.push(reply.index)
      })().catch((e: unknown) => e)
      expect(replies).toEqual([0])
      expect((error as ConnectError).code).toBe(Code.Aborted)
    })

    test('a stream too large for the front door is RESOURCE_EXHAUSTED and says to enable streaming', async () => {
      const replyBytes = shape === 'alb' ? 300_000 : 1_500_000
      const error = await receive(client, { count: 5, replyBytes }).catch((e: unknown) => e)
      expect((error as ConnectError).code).toBe(Code.ResourceExhausted)
      expect((error as ConnectError).rawMessage).toMatch(/enable Lambda response streaming/)
    })
  })
})

describe('server-streaming methods over unary protocols', () => {
  let gateway: Gateway
  beforeAll(async () => {
    gateway = await startGateway(createBufferedLambda(), 'v2')
  })
  afterAll(() => gateway.close())

  test('Connect unary content-type is unimplemented', async () => {
    const response = await fetch(`${gateway.baseUrl}/test.stream.v1.StreamService/Count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(501)
    expect(((await response.json()) as { code: string }).code).toBe('unimplemented')
  })

  test.each([
    ['no message', Buffer.alloc(0)],
    ['two messages', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
  ])('Connect streaming with %s is unimplemented', async (_, body) => {
    const response = await fetch(`${gateway.baseUrl}/test.stream.v1.StreamService/Count`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+proto' },
      body,
    })
    expect(response.status).toBe(200)
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(bytes[0]).toBe(0x02)
    expect(JSON.parse(bytes.subarray(5).toString()).error.code).toBe('unimplemented')
  })
})

describe('server streaming with @grpc/grpc-js over h2c, through the dev server', () => {
  const CountRequest = streamingRoot.lookupType('test.stream.v1.CountRequest')
  const CountReply = streamingRoot.lookupType('test.stream.v1.CountReply')
  let server: DevServer
  let client: grpc.Client
  beforeAll(async () => {
    server = await createDevServer({
      handler: (await createStreamingLambda()) as never,
      eventShape: 'url',
      logger: false,
    })
    client = new grpc.Client(server.url.replace('http://', ''), grpc.credentials.createInsecure())
  })
  afterAll(async () => {
    client.close()
    await server.close()
  })

  function count(request: object) {
    const call = client.makeServerStreamRequest(
      '/test.stream.v1.StreamService/Count',
      (value: object) => Buffer.from(CountRequest.encode(value).finish()),
      (bytes: Buffer) => CountReply.decode(bytes) as unknown as { index: number },
      request,
    )
    return new Promise<{ indexes: number[]; arrivedAt: number[]; status: grpc.StatusObject }>((resolve) => {
      const indexes: number[] = []
      const arrivedAt: number[] = []
      call.on('data', (reply: { index: number }) => {
        indexes.push(reply.index)
        arrivedAt.push(Date.now())
      })
      call.on('error', () => undefined)
      call.on('status', (status: grpc.StatusObject) => resolve({ indexes, arrivedAt, status }))
    })
  }

  test('messages arrive as they are produced, then the status as real trailers', async () => {
    const { indexes, arrivedAt, status } = await count({ count: 3, intervalMs: 150 })
    expect(indexes).toEqual([0, 1, 2])
    expect(status.code).toBe(grpc.status.OK)
    expect(status.metadata.get('x-count')).toEqual(['3'])
    expect(arrivedAt[0]).toBeLessThan(produced.filter((p) => p.index === 2).at(-1)!.at)
  })

  test('an error after some messages', async () => {
    const { indexes, status } = await count({ count: 4, failAfter: 2 })
    expect(indexes).toEqual([0, 1])
    expect(status.code).toBe(grpc.status.ABORTED)
    expect(status.details).toBe('stopped after 2')
  })
})
