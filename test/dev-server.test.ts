import { Agent } from 'node:http'
import type { DescService } from '@bufbuild/protobuf'
import { Code, createClient } from '@connectrpc/connect'
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import {
  createDevServer,
  installAwsLambdaGlobal,
  isStreamingHandler,
  type DevServer,
  type DevServerOptions,
} from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import { loadClientRegistry } from './support/client-schema.js'
import { callWithGrpcio, hasGrpcio } from './support/grpcio.js'
import { http1Call, http2Call } from './support/dev-clients.js'
import { frame, readFrames } from './support/frames.js'
import { createStreamingLambda, produced, streamingRoot } from './support/streaming-service.js'
import { EchoRequest, EchoResponse, createTestLambda, testRoot } from './support/test-service.js'

// As the CLI does before loading a handler: streamified Middy handlers call awslambda.streamifyResponse.
installAwsLambdaGlobal()

const registry = loadClientRegistry('test/proto')
const serviceDesc = registry.getService('test.v1.TestService') as DescService
const FailRequest = testRoot.lookupType('test.v1.FailRequest')
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const echoPath = '/test.v1.TestService/Echo'
const failPath = '/test.v1.TestService/Fail'

const encodeEcho = (fields: Record<string, unknown>): Buffer =>
  Buffer.from(EchoRequest.encode(EchoRequest.fromObject(fields)).finish())
const decodeEcho = (bytes: Uint8Array): any =>
  EchoResponse.toObject(EchoResponse.decode(bytes), { longs: Number, bytes: Buffer })

interface Started {
  server: DevServer
  logs: string[]
  events: any[]
  contexts: any[]
}

const servers: DevServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(500)))
})

/** A dev server whose log lines, events and contexts the test can read. */
async function start(
  options: Omit<DevServerOptions, 'handler'> & { handler?: DevServerOptions['handler'] } = {},
): Promise<Started> {
  const logs: string[] = []
  const events: any[] = []
  const contexts: any[] = []
  const inner = options.handler ?? createTestLambda()
  const handler: DevServerOptions['handler'] = (event, context, callback) => {
    events.push(event)
    contexts.push(context)
    return inner(event, context, callback)
  }
  // The wrapper hides the streamifyResponse mark: pass it on explicitly.
  const server = await createDevServer({
    streaming: isStreamingHandler(inner),
    ...options,
    handler,
    logger: (line) => logs.push(line),
  })
  servers.push(server)
  return { server, logs, events, contexts }
}

interface GrpcJsResult {
  error: grpc.ServiceError | null
  reply?: Buffer
  headers?: grpc.Metadata
  status?: grpc.StatusObject
}

/** A unary call with grpc-js's generic client: bytes in, bytes out; resolves once both the callback and the status came. */
function grpcJsUnary(
  url: string,
  path: string,
  request: Buffer,
  metadata: Record<string, string> = {},
): Promise<GrpcJsResult> {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  const meta = new grpc.Metadata()
  for (const [name, value] of Object.entries(metadata)) meta.set(name, value)
  const result: GrpcJsResult = { error: null }
  return new Promise<GrpcJsResult>((resolve) => {
    let pending = 2
    const settle = (): void => {
      if (--pending === 0) resolve(result)
    }
    const identity = (bytes: Buffer): Buffer => bytes
    const call = client.makeUnaryRequest(
      path,
      identity,
      identity,
      request,
      meta,
      { deadline: Date.now() + 10_000 },
      (error, reply) => {
        result.error = error
        result.reply = reply
        settle()
      },
    )
    call.on('metadata', (headers) => (result.headers = headers))
    call.on('status', (status) => {
      result.status = status
      settle()
    })
  }).finally(() => client.close())
}

describe.each(shapes)('dev server with %s events', (shape) => {
  let started: Started

  beforeAll(async () => {
    started = await start({ eventShape: shape })
  })

  test('connect-node gRPC-Web over HTTP/1.1 round-trips a call', async () => {
    const client: any = createClient(
      serviceDesc,
      createGrpcWebTransport({ baseUrl: started.server.url, httpVersion: '1.1' }),
    )
    const reply = await client.echo(
      { text: `hello ${shape}`, payload: new Uint8Array([0, 1, 255]) },
      { timeoutMs: 10_000 },
    )
    expect(reply.text).toBe(`hello ${shape}`)
    expect(reply.payload).toEqual(new Uint8Array([0, 1, 255]))
    expect(reply.protocol).toBe('grpc-web')
  })

  test('grpc-js over h2c on the same port gets its reply and status', async () => {
    const { error, reply, status } = await grpcJsUnary(
      started.server.url,
      echoPath,
      encodeEcho({ text: `native ${shape}` }),
      {
        'x-trailer-shape': shape,
      },
    )
    expect(error).toBeNull()
    expect(decodeEcho(reply!)).toMatchObject({ text: `native ${shape}`, protocol: 'grpc' })
    expect(status!.code).toBe(grpc.status.OK)
    expect(status!.metadata.get('x-trailer-shape')).toEqual([shape])
  })

  test('builds the event the front door would deliver, with the body base64 and the query as AWS passes it', async () => {
    const body = frame(0, encodeEcho({ text: 'shape' }))
    const reply = await http1Call(started.server.url, {
      path: `${echoPath}?q=a%20b&r=1`,
      headers: { 'Content-Type': 'application/grpc-web+proto', 'X-Mixed-Case': 'One' },
      body,
    })
    expect(reply.status).toBe(200)
    const trailer = readFrames(reply.body).find((f) => f.flags === 0x80)
    expect(trailer?.payload.toString()).toContain('grpc-status: 0')

    const event = started.events.at(-1)
    expect(event.isBase64Encoded).toBe(true)
    expect(Buffer.from(event.body, 'base64')).toEqual(body)
    if (shape === 'v1') {
      expect(event.headers['X-Mixed-Case']).toBe('One')
      expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1')
      expect(event.multiValueQueryStringParameters).toEqual({ q: ['a b'], r: ['1'] })
      expect(event.requestContext.path).toBe(`/local${echoPath}`)
    } else if (shape === 'v2' || shape === 'url') {
      expect(event.headers['x-mixed-case']).toBe('One')
      expect(event.headers['X-Mixed-Case']).toBeUndefined()
      expect(event.rawQueryString).toBe('q=a%20b&r=1')
      expect(event.queryStringParameters).toEqual({ q: 'a b', r: '1' })
      expect(event.requestContext.domainName.includes('.lambda-url.')).toBe(shape === 'url')
    } else if (shape === 'alb') {
      expect(event.headers['x-mixed-case']).toBe('One')
      expect(event.queryStringParameters).toEqual({ q: 'a%20b', r: '1' })
      expect(event.multiValueHeaders).toBeUndefined()
    } else {
      expect(event.multiValueHeaders['x-mixed-case']).toEqual(['One'])
      expect(event.multiValueQueryStringParameters).toEqual({ q: ['a%20b'], r: ['1'] })
      expect(event.headers).toBeUndefined()
    }
    expect(started.logs.at(-1)).toMatch(
      new RegExp(`^POST ${echoPath}\\?q=a%20b&r=1 grpc-web HTTP/1\\.1 → grpc-status 0 OK [\\d.]+ ms$`),
    )
  })
})

describe('native gRPC over h2c: real HTTP/2 trailers', () => {
  let started: Started

  beforeAll(async () => {
    started = await start({ eventShape: 'v2' })
  })

  test('grpc-js: reply, response headers and trailers, and an HTTP/2 event', async () => {
    const { error, reply, headers, status } = await grpcJsUnary(
      started.server.url,
      echoPath,
      encodeEcho({ text: 'trailers' }),
      {
        'x-echo-color': 'blue',
        'x-trailer-shade': 'dark',
      },
    )
    expect(error).toBeNull()
    expect(decodeEcho(reply!).text).toBe('trailers')
    expect(headers!.get('x-echo-color')).toEqual(['blue'])
    expect(headers!.get('x-trailer-shade')).toEqual([])
    expect(status!.metadata.get('x-trailer-shade')).toEqual(['dark'])
    const event = started.events.at(-1)
    expect(event.requestContext.http.protocol).toBe('HTTP/2.0')
    expect(event.headers['content-type']).toBe('application/grpc')
    expect(event.headers.host).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(started.logs.at(-1)).toMatch(new RegExp(`^POST ${echoPath} grpc HTTP/2 → grpc-status 0 OK [\\d.]+ ms$`))
  })

  test('grpc-js: an error carries code, message, details and metadata', async () => {
    const request = Buffer.from(FailRequest.encode({ code: 5, message: 'no such user', withDetails: true }).finish())
    const { error } = await grpcJsUnary(started.server.url, failPath, request, { 'x-echo-trace': 't1' })
    expect(error).not.toBeNull()
    expect(error!.code).toBe(grpc.status.NOT_FOUND)
    expect(error!.details).toBe('no such user')
    expect(error!.metadata.get('x-failed')).toEqual(['yes'])
    expect(error!.metadata.get('x-error-meta')).toEqual(['present'])
    expect(error!.metadata.get('x-echo-trace')).toEqual(['t1'])
    const details = error!.metadata.get('grpc-status-details-bin')[0] as Buffer
    expect(Buffer.isBuffer(details) && details.byteLength).toBeGreaterThan(0)
    expect(started.logs.at(-1)).toMatch(
      /^POST \/test\.v1\.TestService\/Fail grpc HTTP\/2 → grpc-status 5 NOT_FOUND "no such user" [\d.]+ ms$/,
    )
  })

  test('on the wire: grpc-status and the handler trailers come in an HTTP/2 trailers frame, not in headers', async () => {
    const reply = await http2Call(
      started.server.url,
      {
        ':path': echoPath,
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-trailer-wire': 'yes',
        'x-echo-head': 'h',
      },
      frame(0, encodeEcho({ text: 'wire' })),
    )
    expect(reply.headers[':status']).toBe(200)
    expect(reply.headers['content-type']).toBe('application/grpc')
    expect(reply.headers['x-echo-head']).toBe('h')
    expect(reply.headers['grpc-status']).toBeUndefined()
    expect(reply.headers['x-trailer-wire']).toBeUndefined()
    expect(reply.headers.trailer).toBeUndefined()
    expect(reply.headersEndStream).toBe(false)
    expect(reply.trailers).toBeDefined()
    expect(reply.trailers!['grpc-status']).toBe('0')
    expect(reply.trailers!['x-trailer-wire']).toBe('yes')
    const frames = readFrames(reply.body)
    expect(frames).toHaveLength(1)
    expect(decodeEcho(frames[0].payload).text).toBe('wire')
  })

  test('on the wire: an error without a body is Trailers-Only (status in headers ending the stream)', async () => {
    const reply = await http2Call(
      started.server.url,
      { ':path': failPath, 'content-type': 'application/grpc', te: 'trailers' },
      frame(0, Buffer.from(FailRequest.encode({ code: 7, message: 'nope 100%' }).finish())),
    )
    expect(reply.headers[':status']).toBe(200)
    expect(reply.headers['grpc-status']).toBe('7')
    expect(reply.headers['grpc-message']).toBe('nope 100%25')
    expect(reply.headers['x-failed']).toBe('yes')
    expect(reply.headers.trailer).toBeUndefined()
    expect(reply.headersEndStream).toBe(true)
    expect(reply.trailers).toBeUndefined()
    expect(reply.body.byteLength).toBe(0)
  })

  test('connect-node native gRPC (h2c) and gRPC-Web (HTTP/1.1) share the port', async () => {
    const grpcTransport = createGrpcTransport({ baseUrl: started.server.url })
    const native: any = createClient(serviceDesc, grpcTransport)
    const web: any = createClient(
      serviceDesc,
      createGrpcWebTransport({ baseUrl: started.server.url, httpVersion: '1.1' }),
    )
    const [a, b] = await Promise.all([
      native.echo({ text: 'h2c' }, { timeoutMs: 10_000 }),
      web.echo({ text: 'h1' }, { timeoutMs: 10_000 }),
    ])
    expect([a.text, a.protocol]).toEqual(['h2c', 'grpc'])
    expect([b.text, b.protocol]).toEqual(['h1', 'grpc-web'])
    await expect(native.fail({ code: 9, message: 'precondition' }, { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: 'precondition',
    })
  })

  test('HTTP/1.1 keep-alive: several requests on one connection after the protocol sniffing', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const ports = new Set<number | undefined>()
      for (let i = 0; i < 3; i += 1) {
        const reply = await http1Call(started.server.url, {
          path: echoPath,
          headers: { 'content-type': 'application/grpc-web+proto' },
          body: frame(0, encodeEcho({ text: `n${i}`, payload: Buffer.alloc(100_000 * (i + 1), i) })),
          agent,
        })
        expect(decodeEcho(readFrames(reply.body)[0].payload)).toMatchObject({ text: `n${i}` })
        expect(decodeEcho(readFrames(reply.body)[0].payload).payload.byteLength).toBe(100_000 * (i + 1))
        ports.add(reply.localPort)
      }
      expect(ports.size).toBe(1)
    } finally {
      agent.destroy()
    }
  })
})

describe('faithful to AWS: result validation, context, limits, CORS, verbose', () => {
  const malformed: [string, EventShape, unknown, number, RegExp][] = [
    [
      'a statusCode that is not a number',
      'v2',
      { statusCode: 'abc', body: '' },
      502,
      /statusCode must be an integer from 100 to 599, got the string "abc"/,
    ],
    [
      'a string result on a REST API',
      'v1',
      'just text',
      502,
      /the result must be an object with a statusCode, got the string "just text"/,
    ],
    [
      'a body that is not a string',
      'v2',
      { statusCode: 200, body: { a: 1 } },
      502,
      /body must be a string, got an object/,
    ],
    ['undefined', 'url', undefined, 502, /the handler returned undefined/],
    [
      'isBase64Encoded with a body that is not base64',
      'alb',
      { statusCode: 200, isBase64Encoded: true, body: '**' },
      502,
      /body is not base64/,
    ],
    [
      'a result without statusCode behind ALB',
      'alb-multi',
      { ok: true },
      502,
      /must be an object with a statusCode, got an object/,
    ],
  ]

  test.each(malformed)(
    '%s (%s) → 502, with the reason in the log line',
    async (_name, shape, result, status, reason) => {
      const { server, logs } = await start({ eventShape: shape, handler: async () => result })
      const reply = await http1Call(server.url, {
        path: '/any',
        headers: { 'content-type': 'application/grpc-web' },
        body: Buffer.from([0, 0, 0, 0, 0]),
      })
      expect(reply.status).toBe(status)
      if (shape === 'alb' || shape === 'alb-multi') expect(reply.body.toString()).toContain('<h1>502 Bad Gateway</h1>')
      else expect(JSON.parse(reply.body.toString())).toEqual({ message: 'Internal server error' })
      expect(logs[0]).toMatch(/^POST \/any grpc-web HTTP\/1\.1 → HTTP 502 \(malformed Lambda result: /)
      expect(logs[0]).toMatch(reason)
      await server.close()
    },
  )

  test('a handler that throws → 502 with the error and its stack in the log', async () => {
    const { server, logs } = await start({
      handler: async () => {
        throw new TypeError('boom')
      },
    })
    const reply = await http1Call(server.url, { path: '/x', headers: { 'content-type': 'application/grpc-web' } })
    expect(reply.status).toBe(502)
    expect(JSON.parse(reply.body.toString())).toEqual({ message: 'Internal server error' })
    expect(logs[0]).toMatch(/→ HTTP 502 \(the handler threw TypeError: boom\)/)
    expect(logs[1]).toMatch(/^ {2}! TypeError: boom\n\s+at /)
    await server.close()
  })

  test('a handler that outlives the timeout → 502 "Task timed out"', async () => {
    let timer: NodeJS.Timeout | undefined
    const { server, logs } = await start({
      timeoutMs: 100,
      handler: () =>
        new Promise((resolve) => (timer = setTimeout(() => resolve({ statusCode: 200, body: 'late' }), 1000))),
    })
    const reply = await http1Call(server.url, { path: '/slow', method: 'GET' })
    clearTimeout(timer)
    expect(reply.status).toBe(502)
    expect(logs[0]).toMatch(/^GET \/slow http HTTP\/1\.1 → HTTP 502 \(Task timed out after 0\.10 seconds\)/)
    await server.close()
  })

  test('HTTP API and Function URLs infer 200 application/json from a result without statusCode; REST does not', async () => {
    const v2 = await start({ eventShape: 'v2', handler: async () => ({ hello: 'world' }) })
    const reply = await http1Call(v2.server.url, { path: '/infer', method: 'GET' })
    expect(reply.status).toBe(200)
    expect(reply.headers).toContainEqual(['content-type', 'application/json'])
    expect(reply.body.toString()).toBe('{"hello":"world"}')
    expect(v2.logs[1]).toMatch(/no statusCode: answered 200 application\/json/)
    const v1 = await start({ eventShape: 'v1', handler: async () => ({ hello: 'world' }) })
    expect((await http1Call(v1.server.url, { path: '/infer', method: 'GET' })).status).toBe(502)
    await Promise.all([v1.server.close(), v2.server.close()])
  })

  test('callback-style handlers, multi-value headers and a Lambda-like context', async () => {
    const { server, contexts, events } = await start({
      eventShape: 'alb-multi',
      timeoutMs: 5000,
      handler: (_event, _context, callback) => {
        setTimeout(
          () =>
            callback(null, {
              statusCode: 201,
              multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'x-m': ['1', '2'] },
              body: 'made',
            }),
          5,
        )
      },
    })
    const reply = await http1Call(server.url, { path: '/cb', method: 'GET', headers: { 'x-dup': ['p', 'q'] } })
    expect(reply.status).toBe(201)
    expect(reply.body.toString()).toBe('made')
    expect(reply.headers.filter(([name]) => name === 'set-cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2'])
    expect(reply.headers.filter(([name]) => name === 'x-m').map(([, v]) => v)).toEqual(['1', '2'])
    expect(events[0].multiValueHeaders['x-dup']).toEqual(['p', 'q'])
    const remaining = contexts[0].getRemainingTimeInMillis()
    expect(remaining).toBeGreaterThan(4000)
    expect(remaining).toBeLessThanOrEqual(5000)
    expect(contexts[0].awsRequestId).toMatch(/^[0-9a-f-]{36}$/)
    await server.close()
  })

  test('warns when a result would not fit through ALB (1 MB)', async () => {
    const big = 'x'.repeat(1100 * 1024)
    const { server, logs } = await start({ eventShape: 'alb', handler: async () => ({ statusCode: 200, body: big }) })
    const reply = await http1Call(server.url, { path: '/big', method: 'GET' })
    expect(reply.body.byteLength).toBe(big.length)
    expect(
      logs.some((line) => /! the result is \d+ bytes: ALB answers 502 to Lambda responses over 1 MB/.test(line)),
    ).toBe(true)
    await server.close()
  })

  test('cors: answers preflights itself and exposes the gRPC status headers on responses', async () => {
    const { server, events } = await start({ eventShape: 'v2', cors: ['http://app.test'] })
    const preflight = await http1Call(server.url, {
      method: 'OPTIONS',
      path: echoPath,
      headers: {
        origin: 'http://app.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-grpc-web',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers).toContainEqual(['access-control-allow-origin', 'http://app.test'])
    expect(preflight.headers).toContainEqual(['access-control-allow-headers', 'content-type,x-grpc-web'])
    expect(preflight.headers.find(([name]) => name === 'access-control-allow-methods')?.[1]).toContain('POST')
    expect(events).toHaveLength(0)

    const reply = await http1Call(server.url, {
      path: echoPath,
      headers: { origin: 'http://app.test', 'content-type': 'application/grpc-web+proto' },
      body: frame(0, encodeEcho({ text: 'cors' })),
    })
    expect(reply.headers).toContainEqual(['access-control-allow-origin', 'http://app.test'])
    const exposed = reply.headers.find(([name]) => name === 'access-control-expose-headers')?.[1].split(', ')
    expect(exposed).toEqual(expect.arrayContaining(['grpc-status', 'grpc-message', 'grpc-status-details-bin']))
    await server.close()
  })

  test('verbose: dumps headers and frames, trailer frame as text', async () => {
    const { server, logs } = await start({ eventShape: 'v2', verbose: true })
    await http1Call(server.url, {
      path: echoPath,
      headers: { 'content-type': 'application/grpc-web+proto' },
      body: frame(0, encodeEcho({ text: 'hi' })),
    })
    const dump = logs.join('\n')
    expect(dump).toContain('  > content-type: application/grpc-web+proto')
    expect(dump).toContain('  > frame flags=0x00 length=4: 0a 02 68 69')
    expect(dump).toMatch(/ {2}< frame flags=0x80 trailer length=\d+ "grpc-status: 0\\r\\n/)
    await server.close()
  })

  test('close() waits for a call in flight, then refuses new connections', async () => {
    let release: (() => void) | undefined
    const { server } = await start({
      handler: () => new Promise((resolve) => (release = () => resolve({ statusCode: 200, body: 'finished' }))),
    })
    const inFlight = http1Call(server.url, { path: '/wait', method: 'GET' })
    for (let i = 0; i < 100 && release === undefined; i += 1) await new Promise((r) => setTimeout(r, 10))
    const closed = server.close(5000)
    release!()
    expect((await inFlight).body.toString()).toBe('finished')
    await closed
    await expect(http1Call(server.url, { path: '/after', method: 'GET' })).rejects.toThrow(/ECONNREFUSED/)
  })
})

describe('Lambda response streaming (a streamified Middy handler, server-streaming RPCs)', () => {
  let started: Started
  const CountRequest = streamingRoot.lookupType('test.stream.v1.CountRequest')
  const CountReply = streamingRoot.lookupType('test.stream.v1.CountReply')
  const streamDesc = loadClientRegistry('test/proto').getService('test.stream.v1.StreamService') as DescService
  const countPath = '/test.stream.v1.StreamService/Count'

  beforeAll(async () => {
    const handler = await createStreamingLambda()
    expect(isStreamingHandler(handler)).toBe(true)
    started = await start({ eventShape: 'url', handler: handler as never })
  })

  function grpcJsStream(
    request: Record<string, number>,
  ): Promise<{ replies: any[]; arrivals: number[]; status?: grpc.StatusObject; error?: grpc.ServiceError }> {
    const client = new grpc.Client(started.server.url.replace('http://', ''), grpc.credentials.createInsecure())
    const identity = (bytes: Buffer): Buffer => bytes
    const call = client.makeServerStreamRequest(
      countPath,
      identity,
      identity,
      Buffer.from(CountRequest.encode(CountRequest.fromObject(request)).finish()),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
    )
    const replies: any[] = []
    const arrivals: number[] = []
    let error: grpc.ServiceError | undefined
    call.on('data', (bytes: Buffer) => {
      arrivals.push(Date.now())
      replies.push(CountReply.toObject(CountReply.decode(bytes), { defaults: true }))
    })
    call.on('error', (e: grpc.ServiceError) => (error = e))
    return new Promise<{ replies: any[]; arrivals: number[]; status?: grpc.StatusObject; error?: grpc.ServiceError }>(
      (resolve) => call.on('status', (status) => setImmediate(() => resolve({ replies, arrivals, status, error }))),
    ).finally(() => client.close())
  }

  test('grpc-js over h2c: messages arrive as produced, the status and trailers come as real trailers', async () => {
    const { replies, arrivals, status, error } = await grpcJsStream({ count: 3, intervalMs: 150 })
    expect(error).toBeUndefined()
    expect(replies.map((r) => r.index)).toEqual([0, 1, 2])
    const lastProduced = produced.filter((p) => p.index === 2).at(-1)!.at
    expect(arrivals[0]).toBeLessThan(lastProduced)
    expect(status!.code).toBe(grpc.status.OK)
    expect(status!.metadata.get('x-count')).toEqual(['3'])
    expect(started.logs.at(-1)).toMatch(
      /^POST \/test\.stream\.v1\.StreamService\/Count grpc HTTP\/2 → grpc-status 0 OK, streamed 4 frames [\d.]+ ms$/,
    )
  })

  test('grpc-js over h2c: an error after some messages ends the stream with its status', async () => {
    const { replies, error } = await grpcJsStream({ count: 5, failAfter: 2 })
    expect(replies.map((r) => r.index)).toEqual([0, 1])
    expect(error?.code).toBe(grpc.status.ABORTED)
    expect(error?.details).toBe('stopped after 2')
  })

  test('on the wire: the trailer frame becomes an HTTP/2 trailers frame and leaves the body', async () => {
    const reply = await http2Call(
      started.server.url,
      { ':path': countPath, 'content-type': 'application/grpc', te: 'trailers' },
      frame(0, Buffer.from(CountRequest.encode({ count: 2 }).finish())),
    )
    expect(reply.headers[':status']).toBe(200)
    expect(reply.headers['x-stream']).toBe('yes')
    expect(reply.headers['grpc-status']).toBeUndefined()
    expect(reply.trailers?.['grpc-status']).toBe('0')
    expect(reply.trailers?.['x-count']).toBe('2')
    expect(readFrames(reply.body).map((f) => f.flags)).toEqual([0, 0])
  })

  test('connect-node gRPC-Web over HTTP/1.1 streams through the same server', async () => {
    const client: any = createClient(
      streamDesc,
      createGrpcWebTransport({ baseUrl: started.server.url, httpVersion: '1.1' }),
    )
    const indexes: number[] = []
    let trailer: Headers | undefined
    for await (const reply of client.count(
      { count: 3 },
      { timeoutMs: 10_000, onTrailer: (t: Headers) => (trailer = t) },
    ))
      indexes.push(reply.index)
    expect(indexes).toEqual([0, 1, 2])
    expect(trailer?.get('x-count')).toBe('3')
    expect(started.logs.at(-1)).toMatch(/grpc-web HTTP\/1\.1 → grpc-status 0 OK, streamed 4 frames/)
  })
})

if (!hasGrpcio)
  console.log(
    'python3-grpcio tests skipped: `/usr/bin/python3 -c "import grpc"` fails (apt-get install python3-grpcio)',
  )

;(hasGrpcio ? describe : describe.skip)('python3-grpcio (a second native gRPC client)', () => {
  test('unary success with trailers, and an error status', async () => {
    const { server } = await start({ eventShape: 'v2' })
    const out = await callWithGrpcio(
      server.url,
      encodeEcho({ text: 'from python' }),
      FailRequest.encode({ code: 3, message: 'bad input' }).finish(),
    )
    expect(decodeEcho(Buffer.from(out.reply, 'hex'))).toMatchObject({ text: 'from python', protocol: 'grpc' })
    expect(out.trailers).toContainEqual(['x-trailer-lang', 'python'])
    expect(out.error).toEqual({ code: 3, details: 'bad input' })
    await server.close()
  })
})
