import { gzipSync } from 'node:zlib'
import { jest } from '@jest/globals'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { createError } from '@middy/util'
import { GrpcError, Status, grpcFraming, grpcRouter } from '../src/index.js'
import { createLambdaContext, toLambdaEvent } from '../src/dev-server/index.js'
import { frontDoorMaxBytes, type EventShape } from '../src/event/shape.js'
import {
  FuzzService,
  Node,
  assertWellFormed,
  createFuzzLambda,
  fuzzHandlers,
  httpEvent,
  lambdaContext,
  secret,
  type Family,
} from './fuzz/support.js'
import { frame, readFrames } from './support/frames.js'

// Limits (each at exactly the limit and one over), error hygiene, prototype pollution, warm-container isolation,
// and the regressions the fuzz suite found.

const echoPath = '/fuzz.v1.FuzzService/Echo'
const failPath = '/fuzz.v1.FuzzService/Fail'
const grpcWeb: [string, string] = ['content-type', 'application/grpc-web+proto']

/** Node { data: `dataBytes` bytes }: 1 tag byte + varint length + data. */
function nodeWithData(dataBytes: number): Uint8Array {
  return Node.encode(Node.fromObject({ data: Buffer.alloc(dataBytes, 7) })).finish()
}

/** A Node of exactly `bytes` encoded bytes. */
function nodeOfSize(bytes: number): Uint8Array {
  for (let data = Math.max(0, bytes - 6); data <= bytes; data++) {
    const encoded = nodeWithData(data)
    if (encoded.byteLength === bytes) return encoded
  }
  throw new Error(`no Node of ${bytes} bytes`)
}

/** The payload of the last frame (gRPC-Web trailer block, Connect end-stream JSON) as text. */
const lastFrameText = (read: { body: Buffer }) => readFrames(read.body).at(-1)!.payload.toString('latin1')

async function invoke(
  lambda: ReturnType<typeof createFuzzLambda>,
  family: Family,
  shape: EventShape,
  request: Parameters<typeof httpEvent>[1],
  context: any = lambdaContext(),
) {
  return assertWellFormed(await lambda(httpEvent(shape, request), context), shape, family, false)
}

describe('limits: exactly at the limit passes, one byte (one header) over is RESOURCE_EXHAUSTED', () => {
  const limit = 1000
  const lambda = createFuzzLambda({ readMaxBytes: limit })

  test.each([
    ['gRPC-Web', 'grpc-web', 'application/grpc-web+proto'],
    ['gRPC', 'grpc', 'application/grpc'],
    ['gRPC-Web text', 'grpc-web-text', 'application/grpc-web-text'],
  ] as const)('readMaxBytes, %s: the envelope length prefix', async (_name, family, contentType) => {
    for (const [size, code] of [
      [limit, 0],
      [limit + 1, Status.RESOURCE_EXHAUSTED],
    ] as const) {
      let body: Uint8Array = frame(0, nodeOfSize(size))
      if (family === 'grpc-web-text') body = Buffer.from(Buffer.from(body).toString('base64'))
      const read = await invoke(lambda, family, 'v2', { headers: [['content-type', contentType]], body })
      expect(read.code).toBe(code)
    }
  })

  test('readMaxBytes: a declared length over the limit is refused before the body is read (2^32-1 on 5 bytes)', async () => {
    const read = await invoke(lambda, 'grpc-web', 'v2', {
      headers: [grpcWeb],
      body: frame(0, new Uint8Array(0), 2 ** 32 - 1),
    })
    expect(read.code).toBe(Status.RESOURCE_EXHAUSTED)
  })

  test('readMaxBytes, gRPC-Web gzip: the decompressed size counts', async () => {
    for (const [size, code] of [
      [limit, 0],
      [limit + 1, Status.RESOURCE_EXHAUSTED],
    ] as const) {
      const compressed = gzipSync(nodeOfSize(size))
      expect(compressed.byteLength).toBeLessThan(limit)
      const read = await invoke(lambda, 'grpc-web', 'v2', {
        headers: [grpcWeb, ['grpc-encoding', 'gzip']],
        body: frame(1, compressed),
      })
      expect(read.code).toBe(code)
    }
  })

  test.each([
    ['Connect', 'connect', '/fuzz.v1.FuzzService/Echo', 429],
    ['Twirp', 'twirp', '/twirp/fuzz.v1.FuzzService/Echo', 429],
  ] as const)('readMaxBytes, %s: the bare body (HTTP %i over)', async (_name, family, path, status) => {
    const contentType = family === 'connect' ? 'application/proto' : 'application/protobuf'
    const ok = await invoke(lambda, family, 'v1', {
      path,
      headers: [['content-type', contentType]],
      body: nodeOfSize(limit),
    })
    expect([ok.status, ok.code]).toEqual([200, 0])
    const over = await invoke(lambda, family, 'v1', {
      path,
      headers: [['content-type', contentType]],
      body: nodeOfSize(limit + 1),
    })
    expect([over.status, over.code]).toEqual([status, Status.RESOURCE_EXHAUSTED])
  })

  test('readMaxBytes, Connect gzip: the decompressed size counts', async () => {
    for (const [size, status] of [
      [limit, 200],
      [limit + 1, 429],
    ] as const) {
      const read = await invoke(lambda, 'connect', 'v2', {
        headers: [
          ['content-type', 'application/proto'],
          ['content-encoding', 'gzip'],
        ],
        body: gzipSync(nodeOfSize(size)),
      })
      expect(read.status).toBe(status)
    }
  })

  // Inflating the whole bomb twice takes seconds and 512 MiB each: the per-test timeout fails a decoder that does not
  // stop at the limit. Time and RSS growth are measured by `npm run soak` (its gzip-bomb line), not asserted here.
  let bomb: Buffer
  beforeAll(() => {
    bomb = gzipSync(Buffer.alloc(512 * 1024 * 1024), { level: 9 })
  }, 60_000)

  test('gzip bombs stop at readMaxBytes: 512 MiB of zeros in ~500 KB, default limit 4 MiB', async () => {
    const defaults = createFuzzLambda()
    const grpcRead = await invoke(defaults, 'grpc-web', 'v2', {
      headers: [grpcWeb, ['grpc-encoding', 'gzip']],
      body: frame(1, bomb),
    })
    const connectRead = await invoke(defaults, 'connect', 'v2', {
      headers: [
        ['content-type', 'application/proto'],
        ['content-encoding', 'gzip'],
      ],
      body: bomb,
    })
    expect(grpcRead.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(connectRead.code).toBe(Status.RESOURCE_EXHAUSTED)
  }, 2000)

  test('writeMaxBytes: the reply message', async () => {
    const replyLimit = 2000
    const limited = createFuzzLambda({ writeMaxBytes: replyLimit })
    for (const [size, code] of [
      [replyLimit, 0],
      [replyLimit + 1, Status.RESOURCE_EXHAUSTED],
    ] as const) {
      const read = await invoke(limited, 'grpc-web', 'v2', { headers: [grpcWeb], body: frame(0, nodeOfSize(size)) })
      expect(read.code).toBe(code)
    }
  })

  // The front door's own limit on the Lambda result: base64 of the body must fit.
  test.each(['v2', 'alb'] as const)(
    'the %s front door: a body whose base64 is exactly the limit passes, one byte more does not',
    async (shape) => {
      const frontDoor = frontDoorMaxBytes(shape)
      expect(frontDoor % 4).toBe(0)
      const big = createFuzzLambda({ readMaxBytes: 16 * 1024 * 1024 })
      // gRPC-Web: message frame (5 + message) and the OK trailer frame (5 + "grpc-status: 0\r\n").
      const message = (frontDoor / 4) * 3 - 5 - 21
      const ok = await big(
        httpEvent(shape, { headers: [grpcWeb], body: frame(0, nodeOfSize(message)) }),
        lambdaContext(),
      )
      expect((ok as { body: string }).body.length).toBe(frontDoor)
      expect(assertWellFormed(ok, shape, 'grpc-web', false).code).toBe(0)
      const over = await invoke(big, 'grpc-web', shape, { headers: [grpcWeb], body: frame(0, nodeOfSize(message + 1)) })
      expect(over.code).toBe(Status.RESOURCE_EXHAUSTED)
    },
    30_000,
  )

  /** Headers whose normalized names and values add up to exactly `bytes`, with content-type first. */
  function headersOfBytes(contentType: string, bytes: number): [string, string][] {
    const used = 'content-type'.length + contentType.length + 'x-pad'.length
    return [
      ['content-type', contentType],
      ['x-pad', 'p'.repeat(bytes - used)],
    ]
  }

  test.each([
    ['gRPC-Web', 'grpc-web', 'application/grpc-web+proto', echoPath, 200],
    ['Connect', 'connect', 'application/proto', echoPath, 429],
    ['Twirp', 'twirp', 'application/protobuf', '/twirp/fuzz.v1.FuzzService/Echo', 429],
  ] as const)('readMaxHeaderBytes, %s (default 64 KiB)', async (_name, family, contentType, path, overStatus) => {
    const message = Node.encode(Node.fromObject({ name: 'x' })).finish()
    const body = family === 'grpc-web' ? frame(0, message) : message
    const defaults = createFuzzLambda()
    for (const shape of ['v1', 'v2', 'alb-multi'] as const) {
      const ok = await invoke(defaults, family, shape, { path, headers: headersOfBytes(contentType, 64 * 1024), body })
      expect(ok.code).toBe(0)
      const over = await invoke(defaults, family, shape, {
        path,
        headers: headersOfBytes(contentType, 64 * 1024 + 1),
        body,
      })
      expect([over.status, over.code]).toEqual([overStatus, Status.RESOURCE_EXHAUSTED])
    }
  })

  test('readMaxHeaderBytes as an option, and repeated headers count as joined', async () => {
    const limited = createFuzzLambda({ readMaxHeaderBytes: 100 })
    const body = frame(0, new Uint8Array(0))
    // content-type (12 + 26) + x-dup (5) + "a,b" (3, HTTP API joins with a comma) = 46; pad to 100.
    const headers = (pad: number): [string, string][] => [
      grpcWeb,
      ['x-dup', 'a'],
      ['x-dup', 'b'],
      ['x-pad', 'p'.repeat(pad)],
    ]
    expect((await invoke(limited, 'grpc-web', 'v2', { headers: headers(100 - 46 - 5), body })).code).toBe(0)
    expect((await invoke(limited, 'grpc-web', 'v2', { headers: headers(100 - 46 - 5 + 1), body })).code).toBe(
      Status.RESOURCE_EXHAUSTED,
    )
  })

  test.each([
    ['gRPC-Web', 'grpc-web', 'application/grpc-web+proto', echoPath, 200],
    ['Connect', 'connect', 'application/proto', echoPath, 429],
    ['Twirp', 'twirp', 'application/protobuf', '/twirp/fuzz.v1.FuzzService/Echo', 429],
  ] as const)('readMaxHeaders, %s (default 100)', async (_name, family, contentType, path, overStatus) => {
    const message = new Uint8Array(0)
    const body = family === 'grpc-web' ? frame(0, message) : message
    const defaults = createFuzzLambda()
    const headers = (count: number): [string, string][] => [
      ['content-type', contentType],
      ...Array.from({ length: count - 1 }, (_, i): [string, string] => [`x-h-${i}`, 'v']),
    ]
    for (const shape of ['v1', 'url', 'alb'] as const) {
      expect((await invoke(defaults, family, shape, { path, headers: headers(100), body })).code).toBe(0)
      const over = await invoke(defaults, family, shape, { path, headers: headers(101), body })
      expect([over.status, over.code]).toEqual([overStatus, Status.RESOURCE_EXHAUSTED])
    }
    const few = createFuzzLambda({ readMaxHeaders: 3 })
    expect((await invoke(few, family, 'v2', { path, headers: headers(3), body })).code).toBe(0)
    expect((await invoke(few, family, 'v2', { path, headers: headers(4), body })).code).toBe(Status.RESOURCE_EXHAUSTED)
  })

  test('requests that are not RPCs are answered without the header limits (a preflight stays 204)', async () => {
    const few = createFuzzLambda({ readMaxHeaders: 1, readMaxHeaderBytes: 10 })
    const event = httpEvent('v2', {
      method: 'OPTIONS',
      headers: [
        ['origin', 'https://example.com'],
        ['x-a', 'b'.repeat(100)],
      ],
    })
    expect(((await few(event, lambdaContext())) as { statusCode: number }).statusCode).toBe(204)
  })

  test('an option given as undefined keeps its default', async () => {
    const lambda2 = createFuzzLambda({ readMaxBytes: undefined, readMaxHeaders: undefined, logger: undefined })
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const over = await invoke(lambda2, 'grpc-web', 'v2', {
        headers: [grpcWeb],
        body: frame(0, new Uint8Array(0), 4 * 1024 * 1024 + 1),
      })
      expect(over.code).toBe(Status.RESOURCE_EXHAUSTED)
      await invoke(lambda2, 'grpc-web', 'v2', {
        path: failPath,
        headers: [grpcWeb],
        body: frame(0, Node.encode(Node.fromObject({ name: 'plain' })).finish()),
      })
      expect(spy).toHaveBeenCalledTimes(1)
    } finally {
      spy.mockRestore()
    }
  })
})

// ---- error hygiene ----

const failWith = (name: string) => frame(0, Node.encode(Node.fromObject({ name })).finish())

describe('error hygiene', () => {
  const cases: [string, number, string][] = [
    ['plain', Status.INTERNAL, 'internal error'],
    ['string', Status.INTERNAL, 'internal error'],
    ['null', Status.INTERNAL, 'internal error'],
    ['undefined', Status.INTERNAL, 'internal error'],
    ['object', Status.INTERNAL, 'internal error'],
    ['getter', Status.INTERNAL, 'internal error'],
    ['http-500', Status.INTERNAL, 'INTERNAL'],
    ['bad-reply', Status.INTERNAL, 'failed to encode response message'],
    ['null-reply', Status.INTERNAL, 'handler returned null, not a message'],
    ['http-404', Status.NOT_FOUND, 'missing node'],
    ['grpc', Status.NOT_FOUND, 'no such node'],
  ]

  test.each(cases)(
    'a handler failing with "%s" answers code %i, "%s", and nothing of the original',
    async (name, code, message) => {
      const lambda = createFuzzLambda()
      const read = await invoke(lambda, 'grpc-web', 'v1', { path: failPath, headers: [grpcWeb], body: failWith(name) })
      expect(read.code).toBe(code)
      expect(lastFrameText(read)).toContain(`grpc-message: ${message}\r\n`)
      const connect = await invoke(lambda, 'connect', 'v1', {
        path: failPath,
        headers: [['content-type', 'application/json']],
        body: Buffer.from(JSON.stringify({ name })),
      })
      expect(JSON.parse(connect.body.toString()).message).toBe(message)
    },
  )

  test('GrpcError.from: unknown errors are INTERNAL with a fixed message, hostile ones too', () => {
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    const hostile: [unknown, number][] = [
      [new Error(secret), Status.INTERNAL],
      [new TypeError(secret), Status.INTERNAL],
      [secret, Status.INTERNAL],
      [null, Status.INTERNAL],
      [undefined, Status.INTERNAL],
      [42, Status.INTERNAL],
      [{ message: secret }, Status.INTERNAL],
      [
        {
          get statusCode(): number {
            throw new Error(secret)
          },
        },
        Status.INTERNAL,
      ],
      [revoked.proxy, Status.INTERNAL],
      [Object.create(null), Status.INTERNAL],
      [{ statusCode: 500, message: secret }, Status.INTERNAL],
      [createError(500, secret), Status.INTERNAL],
      // An HTTP 503 maps to UNAVAILABLE, as a 503 does in gRPC's HTTP-to-status table; its message still stays out.
      [createError(503, secret), Status.UNAVAILABLE],
    ]
    for (const [thrown, code] of hostile) {
      const error = GrpcError.from(thrown)
      expect(error.message).not.toContain('SECRET')
      expect(error.code).toBe(code)
      expect(error.cause).toBe(thrown)
    }
    expect(GrpcError.from(createError(404, 'gone')).message).toBe('gone')
  })

  test('the default logger writes one console.error line with the method, the status and the request id, then the error', async () => {
    const lambda = middy()
      .use(grpcFraming({ service: FuzzService }))
      .handler(fuzzHandlers)
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const context = createLambdaContext(10_000)
      const read = await invoke(
        lambda as never,
        'grpc-web',
        'v2',
        { path: failPath, headers: [grpcWeb], body: failWith('plain') },
        context,
      )
      expect(read.code).toBe(Status.INTERNAL)
      expect(spy).toHaveBeenCalledTimes(1)
      const [format, ...args] = spy.mock.calls[0]
      const line = String(format).replace(/%s/g, () => String(args.shift()))
      expect(line).toBe(`middy-grpc: /fuzz.v1.FuzzService/Fail failed with INTERNAL (request ${context.awsRequestId}):`)
      expect(args[0]).toBeInstanceOf(Error)
      expect((args[0] as Error).message).toBe(secret)
      // GrpcErrors are answers, not failures: not logged.
      spy.mockClear()
      await invoke(lambda as never, 'grpc-web', 'v2', { path: failPath, headers: [grpcWeb], body: failWith('grpc') })
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })

  test('a logger that throws does not change the answer', async () => {
    const lambda = createFuzzLambda({
      logger: () => {
        throw new Error(secret)
      },
    })
    const read = await invoke(lambda, 'grpc-web', 'v2', { path: failPath, headers: [grpcWeb], body: failWith('plain') })
    expect(read.code).toBe(Status.INTERNAL)
  })

  describe.each([
    [
      'http-error-handler registered before grpcFraming',
      (l: ReturnType<typeof middy>) =>
        l.use(httpErrorHandler({ logger: false })).use(grpcFraming({ service: FuzzService, logger: onLog })),
    ],
    [
      'http-error-handler registered after grpcFraming',
      (l: ReturnType<typeof middy>) =>
        l.use(grpcFraming({ service: FuzzService, logger: onLog })).use(httpErrorHandler({ logger: false })),
    ],
  ])('%s', (_name, assemble) => {
    const routed = assemble(middy()).handler(fuzzHandlers as never)
    const plain = assemble(middy()).handler(async () => {
      throw new Error(secret)
    })

    test.each(['plain', 'object', 'http-500', 'string'])(
      '"%s": INTERNAL, fixed message, original to the logger',
      async (name) => {
        logged.length = 0
        const read = await invoke(routed as never, 'grpc-web', 'v2', {
          path: failPath,
          headers: [grpcWeb],
          body: failWith(name),
        })
        expect(read.code).toBe(Status.INTERNAL)
        const connect = await invoke(routed as never, 'connect', 'v2', {
          path: failPath,
          headers: [['content-type', 'application/json']],
          body: Buffer.from(JSON.stringify({ name })),
        })
        expect(connect.status).toBe(500)
        expect(logged).toHaveLength(2)
        for (const cause of logged)
          expect(typeof cause === 'string' ? cause : (cause as { message?: string }).message).toBe(secret)
      },
    )

    test('a plain (unrouted) handler: INTERNAL, nothing of the original reaches the client', async () => {
      const read = await invoke(plain as never, 'grpc-web', 'v2', {
        path: echoPath,
        headers: [grpcWeb],
        body: failWith(''),
      })
      expect(read.code).toBe(Status.INTERNAL)
      const connect = await invoke(plain as never, 'connect', 'v2', {
        headers: [['content-type', 'application/proto']],
        body: new Uint8Array(0),
      })
      expect(connect.code).toBe(Status.INTERNAL)
    })
  })
})

const logged: unknown[] = []
function onLog(entry: { cause: unknown }): void {
  logged.push(entry.cause)
}

// ---- prototype pollution ----

describe('no prototype pollution', () => {
  const lambda = createFuzzLambda()
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    expect(Object.prototype).not.toHaveProperty('name')
  })

  const hostileJson = [
    '{"__proto__":{"polluted":1},"name":"x"}',
    '{"constructor":{"prototype":{"polluted":1}},"name":"x"}',
    '{"child":{"__proto__":{"polluted":1,"name":"injected"}},"name":"x"}',
    '{"children":[{"__proto__":{"polluted":1}}],"name":"x"}',
    '{"labels":{"__proto__":"polluted","constructor":"c"},"name":"x"}',
    '{"named":{"__proto__":{"name":"polluted"},"constructor":{"name":"c"}},"name":"x"}',
  ]

  test.each(hostileJson)('Connect JSON %s', async (json) => {
    const read = await invoke(lambda, 'connect', 'v2', {
      headers: [['content-type', 'application/json']],
      body: Buffer.from(json),
    })
    expect(read.code).toBe(0)
    const reply = JSON.parse(read.body.toString())
    expect(reply.name).toBe('x')
    expect(reply.child?.name).not.toBe('injected')
  })

  test.each(hostileJson)('Twirp JSON %s', async (json) => {
    const read = await invoke(lambda, 'twirp', 'v1', {
      path: '/twirp/fuzz.v1.FuzzService/Echo',
      headers: [['content-type', 'application/json']],
      body: Buffer.from(json),
    })
    expect(read.code).toBe(0)
    expect(JSON.parse(read.body.toString()).name).toBe('x')
  })

  test('gRPC-Web JSON and binary map entries keyed __proto__', async () => {
    const json = await invoke(lambda, 'grpc-web', 'alb', {
      headers: [['content-type', 'application/grpc-web+json']],
      body: frame(0, Buffer.from(hostileJson[5])),
    })
    expect(json.code).toBe(0)
    // named { key: "__proto__", value: { name: "polluted" } }
    const value = Node.encode(Node.fromObject({ name: 'polluted' })).finish()
    const entry = Buffer.concat([
      Buffer.from([0x0a, 9]),
      Buffer.from('__proto__'),
      Buffer.from([0x12, value.byteLength]),
      value,
    ])
    const binary = await invoke(lambda, 'grpc-web', 'alb', {
      headers: [grpcWeb],
      body: frame(0, Buffer.concat([Buffer.from([0x52, entry.byteLength]), entry])),
    })
    expect(binary.code).toBe(0)
  })

  // `constructor: c` and `Constructor: d` as each front door delivers them: REST v1 and ALB multi-value keep both
  // (joined with ", "), HTTP API and Function URLs join them with ",", a single-value ALB keeps the last.
  const joinedConstructor = { v1: 'c, d', v2: 'c,d', url: 'c,d', alb: 'd', 'alb-multi': 'c, d' } as const
  test.each(['v1', 'v2', 'url', 'alb', 'alb-multi'] as const)(
    'request headers named __proto__ and constructor reach the handler as ordinary metadata (%s)',
    async (shape) => {
      const seen = middy()
        .use(grpcFraming({ service: FuzzService, logger: false }))
        .handler(
          grpcRouter({
            Echo: async ({ grpc }) => ({
              name: JSON.stringify([...grpc.requestHeader].filter(([n]) => /proto|constructor/.test(n))),
            }),
          }),
        )
      const event = httpEvent(shape, {
        headers: [grpcWeb, ['__proto__', 'p'], ['constructor', 'c'], ['Constructor', 'd']],
        body: frame(0, new Uint8Array(0)),
      })
      const read = assertWellFormed(await seen(event, lambdaContext()), shape, 'grpc-web', false)
      const names = JSON.parse(Node.decode(read.messages[0]).toJSON().name)
      expect(names).toEqual([
        ['__proto__', 'p'],
        ['constructor', joinedConstructor[shape]],
      ])
    },
  )

  const hostileMetadata = middy()
    .use(grpcFraming({ service: FuzzService, logger: false }))
    .handler(
      grpcRouter({
        async *Stream({ grpc }) {
          grpc.responseTrailer.set('constructor', 'c')
          grpc.responseTrailer.set('__proto__', 'p')
          grpc.responseTrailer.set('x-injected', 'v\r\ngrpc-status: 0')
          yield {}
        },
        async Echo({ grpc }) {
          grpc.responseHeader.set('constructor', 'c')
          grpc.responseHeader.set('__proto__', 'p')
          grpc.responseHeader.set('x bad name', 'v')
          grpc.responseTrailer.set('x-injected', 'v\r\ngrpc-status: 0')
          throw new GrpcError(Status.NOT_FOUND, 'nope', { metadata: { constructor: 'e', 'x-crlf': 'a\nb' } })
        },
      }),
    )
  const streamPath = '/fuzz.v1.FuzzService/Stream'
  const callHostile = (family: Family, contentType: string, path: string) =>
    invoke(hostileMetadata as never, family, 'v1', {
      path,
      headers: [['content-type', contentType]],
      body: family === 'connect' || family === 'twirp' ? new Uint8Array(0) : frame(0, new Uint8Array(0)),
    })

  test.each([
    ['gRPC-Web', 'grpc-web', 'application/grpc-web+proto', echoPath, Status.NOT_FOUND],
    ['gRPC', 'grpc', 'application/grpc', echoPath, Status.NOT_FOUND],
    ['Connect', 'connect', 'application/proto', echoPath, Status.NOT_FOUND],
    ['Twirp', 'twirp', 'application/protobuf', '/twirp/fuzz.v1.FuzzService/Echo', Status.NOT_FOUND],
    ['Connect streaming', 'connect-stream', 'application/connect+proto', streamPath, Status.OK],
    ['gRPC-Web streaming', 'grpc-web', 'application/grpc-web+proto', streamPath, Status.OK],
  ] as const)(
    'response metadata named constructor and __proto__, and values with CR/LF, cannot corrupt %s headers',
    async (_name, family, contentType, path, code) => {
      const read = await callHostile(family, contentType, path)
      expect(read.code).toBe(code)
      expect(JSON.stringify(read.headers)).not.toMatch(/injected|__proto__|bad name|crlf/)
    },
  )

  test.each([
    ['gRPC-Web', 'grpc-web', 'application/grpc-web+proto', echoPath],
    ['Connect streaming', 'connect-stream', 'application/connect+proto', streamPath],
    ['gRPC-Web streaming', 'grpc-web', 'application/grpc-web+proto', streamPath],
  ] as const)('nor the %s trailer frame', async (_name, family, contentType, path) => {
    expect(lastFrameText(await callHostile(family, contentType, path))).not.toMatch(/injected|__proto__|crlf/)
  })

  test('a Connect stream keeps a trailer named constructor as ordinary metadata', async () => {
    const read = await callHostile('connect-stream', 'application/connect+proto', streamPath)
    expect(JSON.parse(lastFrameText(read)).metadata).toEqual({ constructor: ['c'] })
  })

  test('a Connect unary error keeps headers named constructor as ordinary metadata', async () => {
    const read = await callHostile('connect', 'application/proto', echoPath)
    expect(read.headers.constructor).toBe('c, e')
  })
})

// ---- nothing survives from one invocation to the next ----

describe('warm container: nothing leaks across invocations', () => {
  const kinds = ['echo-metadata', 'grpc-error', 'plain-error', 'echo-bare', 'bad-request'] as const

  function requestFor(kind: (typeof kinds)[number], i: number): Parameters<typeof httpEvent>[1] {
    const own: [string, string] = [`x-echo-call-${i}`, `value-${i}`]
    switch (kind) {
      case 'echo-metadata':
        return {
          headers: [grpcWeb, own, [`x-trailer-call-${i}`, `t-${i}`]],
          body: frame(0, Node.encode(Node.fromObject({ name: `call-${i}` })).finish()),
        }
      case 'grpc-error':
        return { path: failPath, headers: [grpcWeb, own], body: failWith('grpc') }
      case 'plain-error':
        return { path: failPath, headers: [grpcWeb, own], body: failWith('plain') }
      case 'echo-bare':
        return { headers: [grpcWeb], body: frame(0, new Uint8Array(0)) }
      case 'bad-request':
        return { headers: [grpcWeb, own], body: Uint8Array.of(0, 0, 0) }
    }
  }

  function check(kind: (typeof kinds)[number], i: number, read: ReturnType<typeof assertWellFormed>): void {
    const trailer = lastFrameText(read)
    const text = JSON.stringify(read.headers) + trailer
    // Only this call's own numbers appear anywhere in the response.
    for (const match of text.matchAll(/(?:call|value|t)-(\d+)/g)) expect(Number(match[1])).toBe(i)
    switch (kind) {
      case 'echo-metadata':
        expect(read.code).toBe(0)
        expect(read.headers[`x-echo-call-${i}`]).toBe(`value-${i}`)
        expect(trailer).toContain(`x-trailer-call-${i}: t-${i}\r\n`)
        expect(Node.decode(read.messages[0]).toJSON().name).toBe(`call-${i}`)
        break
      case 'grpc-error':
        expect(read.code).toBe(Status.NOT_FOUND)
        expect(Object.keys(read.headers).sort()).toEqual(['content-type', 'grpc-accept-encoding', 'x-fail-header'])
        break
      case 'plain-error':
        expect(read.code).toBe(Status.INTERNAL)
        expect(trailer).not.toContain('x-error-meta')
        break
      case 'echo-bare':
        expect(read.code).toBe(0)
        expect(Object.keys(read.headers).sort()).toEqual(['content-type', 'grpc-accept-encoding'])
        expect(read.messages[0].byteLength).toBe(0)
        break
      case 'bad-request':
        expect(read.code).toBe(Status.INVALID_ARGUMENT)
        expect(Object.keys(read.headers).sort()).toEqual(['content-type', 'grpc-accept-encoding'])
        break
    }
  }

  test.each([
    ['a default Middy', () => middy()],
    ['Middy with one internal object shared by every invocation', () => middy({ internal: {} } as never)],
  ])('%s, 500 sequential invocations alternating success, errors and metadata', async (_name, create) => {
    const lambda = create()
      .use(grpcFraming({ service: FuzzService, logger: false }))
      .handler(fuzzHandlers)
    for (let i = 0; i < 500; i++) {
      const kind = kinds[i % kinds.length]
      const shape = (['v1', 'v2', 'url', 'alb', 'alb-multi'] as const)[i % 5]
      check(
        kind,
        i,
        assertWellFormed(
          await lambda(httpEvent(shape, requestFor(kind, i)), lambdaContext()),
          shape,
          'grpc-web',
          false,
        ),
      )
    }
  })

  test.each([
    ['a default Middy', () => middy()],
    ['Middy with one internal object shared by every invocation', () => middy({ internal: {} } as never)],
  ])('%s, 200 concurrent invocations with handlers that wait', async (_name, create) => {
    const slowHandlers = grpcRouter({
      Echo: async (event, context, options) => {
        await new Promise((resolve) => setTimeout(resolve, (event.message.name.length * 7) % 5))
        return (fuzzHandlers as any)(event, context, options)
      },
      Fail: async (event, context, options) => {
        await new Promise((resolve) => setTimeout(resolve, 2))
        return (fuzzHandlers as any)(event, context, options)
      },
    })
    const lambda = create()
      .use(grpcFraming({ service: FuzzService, logger: false }))
      .handler(slowHandlers)
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const kind = kinds[i % kinds.length]
        const result = await lambda(httpEvent('v2', requestFor(kind, i)), lambdaContext())
        check(kind, i, assertWellFormed(result, 'v2', 'grpc-web', false))
      }),
    )
  })
})

// ---- regressions found by the fuzz suite ----

describe('regressions', () => {
  const lambda = createFuzzLambda()

  test('deeply nested JSON (protobufjs 7 fallback) is INVALID_ARGUMENT, not a stack overflow text', async () => {
    const json = `${'{"child":'.repeat(5000)}{}${'}'.repeat(5000)}`
    const read = await invoke(lambda, 'connect', 'v2', {
      headers: [['content-type', 'application/json']],
      body: Buffer.from(json),
    })
    expect(read.code).toBe(Status.INVALID_ARGUMENT)
    expect(read.body.toString()).not.toMatch(/call stack/i)
  })

  test('the local event builder accepts headers named constructor and a query named __proto__', () => {
    for (const shape of ['v1', 'v2', 'alb', 'alb-multi'] as const) {
      const event: any = toLambdaEvent(
        {
          method: 'GET',
          url: '/x?__proto__=1&constructor=2',
          headers: [
            ['constructor', 'a'],
            ['constructor', 'b'],
            ['__proto__', 'c'],
          ],
          body: new Uint8Array(0),
        },
        shape,
      )
      const headers = event.multiValueHeaders ?? event.headers
      expect(Object.keys(headers)).toEqual(['constructor', '__proto__'])
    }
  })

  test.each([
    [
      'multiValueHeaders is an array',
      'v1',
      415,
      (e: any) => {
        e.multiValueHeaders = ['x']
      },
    ],
    [
      'a header value is null',
      'v2',
      415,
      (e: any) => {
        e.headers['content-type'] = null
      },
    ],
    [
      'path is an object',
      'alb',
      400,
      (e: any) => {
        e.path = {}
      },
    ],
    [
      'requestContext.http.method is missing',
      'v2',
      400,
      (e: any) => {
        delete e.requestContext.http.method
      },
    ],
    [
      'httpMethod is missing (ALB)',
      'alb',
      400,
      (e: any) => {
        delete e.httpMethod
      },
    ],
    [
      'cookies is not an array',
      'url',
      400,
      (e: any) => {
        e.cookies = 5
      },
    ],
    [
      'body is a number',
      'v1',
      400,
      (e: any) => {
        e.body = 5
      },
    ],
  ] as const)(
    // The content-type cannot be read from the first two (415); the method or path cannot be, or the body is no body.
    'an HTTP event whose %s is a plain HTTP %i, not an invocation error',
    async (_name, shape, status, mutate) => {
      const event = httpEvent(shape, { headers: [grpcWeb], body: frame(0, new Uint8Array(0)) })
      mutate(event)
      const read = assertWellFormed(await lambda(event, lambdaContext()), shape, undefined, true)
      expect([read.nonRpc, read.status, read.headers['content-type']]).toEqual([
        true,
        status,
        'text/plain; charset=utf-8',
      ])
    },
  )

  test('a timeout longer than setTimeout can hold (99999999S) without a Lambda context does not expire at once', async () => {
    const slow = middy()
      .use(grpcFraming({ service: FuzzService, logger: false }))
      .handler(
        grpcRouter({
          Echo: async ({ grpc }) => {
            await new Promise((r) => setTimeout(r, 30))
            return { flag: !grpc.signal.aborted }
          },
        }),
      )
    for (const [name, value, contentType] of [
      ['grpc-timeout', '99999999S', 'application/grpc-web+proto'],
      ['connect-timeout-ms', '9999999999', 'application/proto'],
    ] as const) {
      const body = contentType === 'application/proto' ? new Uint8Array(0) : frame(0, new Uint8Array(0))
      const family = contentType === 'application/proto' ? 'connect' : 'grpc-web'
      const read = await invoke(
        slow as never,
        family,
        'v2',
        {
          headers: [
            ['content-type', contentType],
            [name, value],
          ],
          body,
        },
        {},
      )
      expect(read.code).toBe(0)
    }
  })
})

// The end-to-end deadline tests (real clients over sockets) only bound their run with a per-test timeout; when a
// client's deadline fires is checked here, on Jest's fake clock, to the millisecond. (The Lambda's own deadline is
// Middy's timer, from node:timers/promises, which Jest's clock does not drive: test/unit/deadline.test.ts covers it.)
describe('deadlines on a fake clock', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    jest.useRealTimers()
  })

  const slow = middy()
    .use(grpcFraming({ service: FuzzService, logger: false }))
    .handler(
      grpcRouter({
        Echo: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5000))
          return { name: 'too late' }
        },
      }),
    )

  /** Calls `slow` and moves the fake clock 1 ms at a time until the call settles: returns when, and the reply. */
  async function settle(shape: EventShape, request: Parameters<typeof httpEvent>[1], context: object) {
    let result: unknown
    const pending = slow(httpEvent(shape, request), context as never).then((value) => {
      result = value
    })
    let elapsedMs = 0
    while (result === undefined && elapsedMs < 10_000) {
      await jest.advanceTimersByTimeAsync(1)
      elapsedMs++
    }
    await pending
    return { elapsedMs, result }
  }

  test.each([
    ['gRPC-Web, grpc-timeout: 150m', 'grpc-web', 'application/grpc-web+proto', 'grpc-timeout', '150m'],
    ['Connect, connect-timeout-ms: 150', 'connect', 'application/proto', 'connect-timeout-ms', '150'],
  ] as const)('%s: DEADLINE_EXCEEDED at 150 ms, not before', async (_name, family, contentType, header, value) => {
    const { elapsedMs, result } = await settle(
      'v2',
      {
        headers: [
          ['content-type', contentType],
          [header, value],
        ],
        body: family === 'connect' ? new Uint8Array(0) : frame(0, new Uint8Array(0)),
      },
      lambdaContext(),
    )
    expect(elapsedMs).toBe(150)
    expect(assertWellFormed(result, 'v2', family, false).code).toBe(Status.DEADLINE_EXCEEDED)
  })
})
