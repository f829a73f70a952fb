import { jest } from '@jest/globals'
import fc from 'fast-check'
import { detectEventShape } from '../../src/event/shape.js'
import { loadEvent } from '../fixtures/load-event.js'
import {
  Node,
  assertNoLeak,
  assertWellFormed,
  contentTypes,
  createFuzzLambda,
  httpEvent,
  lambdaContext,
  methodPaths,
  runs,
  shapes,
  type Family,
} from './support.js'
import { frame } from '../support/frames.js'
import { Status } from '../../src/index.js'

// Arbitrary headers, timeouts, query strings and event shapes with fields missing: the Lambda answers each with a
// well-formed RPC response or a plain 4xx, and only events that are not HTTP events at all make it throw.

const lambda = createFuzzLambda()
const shape = fc.constantFrom(...shapes)
const hiFrame = frame(0, Node.encode(Node.fromObject({ name: 'hi' })).finish())
const hiBase64 = Buffer.from(hiFrame)

const knownNames = [
  'content-type',
  'Content-Type',
  'CONTENT-TYPE',
  'grpc-timeout',
  'Grpc-Timeout',
  'connect-timeout-ms',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'content-encoding',
  'connect-protocol-version',
  'connect-content-encoding',
  'connect-accept-encoding',
  'te',
  'accept',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'prototype',
  'cookie',
  'Cookie',
  'x-echo-a',
  'X-Echo-A',
  'x-trailer-b',
  'x-echo-c-bin',
  'x-trailer-d-bin',
  'x-echo-__proto__',
  'x-trailer-constructor',
  'grpc-status',
  'grpc-message',
  'trailer-x',
]
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...knownNames) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,24}$/) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 24, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x-echo-${s}`) },
)
const headerValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...contentTypes.map((p) => p.contentType),
      'gzip',
      'deflate',
      'identity',
      '1',
      '10S',
      '100m',
      'AQID',
      'AQ==',
      'trailers',
      '',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.nat({ max: 40_000 }).map((n) => 'v'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/grpc-web; charset=utf-8',
      'APPLICATION/JSON',
      ' application/proto ',
      'application/grpc-web,application/json',
    ),
  },
)
const headerSet = fc.array(fc.tuple(headerName, headerValue), { maxLength: 24 })
const httpMethod = fc.constantFrom('POST', 'GET', 'OPTIONS', 'PUT', 'post', 'DELETE', 'HEAD', 'PATCH')
const anyPath = fc.oneof(
  fc.constantFrom(
    ...methodPaths,
    '/twirp/fuzz.v1.FuzzService/Echo',
    '/twirp/Nope',
    '/',
    '',
    '//',
    '/a/b/c/d',
    '/fuzz.v1.FuzzService/',
  ),
  fc.string({ maxLength: 40 }).map((s) => `/${s}`),
)

test('arbitrary header sets: duplicate, mixed-case, absurdly long, non-ASCII, prototype names', async () => {
  await fc.assert(
    fc.asyncProperty(
      shape,
      httpMethod,
      anyPath,
      fc.option(fc.constantFrom(...contentTypes), { nil: undefined }),
      headerSet,
      fc.constantFrom(hiFrame, hiBase64, new Uint8Array(0), Buffer.from('{"name":"hi"}')),
      async (s, method, path, protocol, headers, body) => {
        const all: [string, string][] =
          protocol === undefined ? headers : [['content-type', protocol.contentType], ...headers]
        const event = httpEvent(s, { method, path, headers: all, body })
        const result = await lambda(event, lambdaContext())
        assertWellFormed(result, s, undefined, true)
      },
    ),
    runs(3000),
  )
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

const grpcTimeouts = fc.oneof(
  fc
    .tuple(fc.stringMatching(/^\d{1,10}$/), fc.constantFrom('H', 'M', 'S', 'm', 'u', 'n', 's', 'h', '', ' '))
    .map(([n, u]) => n + u),
  fc.constantFrom(
    '99999999H',
    '99999999S',
    '0m',
    '0n',
    '1n',
    '-1S',
    '1.5S',
    ' 1S',
    '1S ',
    '+1S',
    '0x10S',
    '1e3m',
    'Infinity',
    'NaNS',
  ),
  fc.string({ maxLength: 12 }),
)
const connectTimeouts = fc.oneof(
  fc.stringMatching(/^\d{1,12}$/),
  fc.constantFrom('9999999999', '0', '-1', '1e3', '01', ' 5', '5 ', '+5', '0x10', 'Infinity', '1.5', '٣'),
  fc.string({ maxLength: 12 }),
)

/**
 * The code a fast Echo gets when the clock does not move (fake timers): Twirp has no timeouts; a malformed timeout is
 * INVALID_ARGUMENT; a valid one of zero has expired on arrival; any other valid one has not expired when Echo ends.
 */
function expectedTimeoutCode(value: string, family: Family): number {
  if (family === 'twirp') return Status.OK
  const connect = family === 'connect' || family === 'connect-stream'
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(value)
  const valid = connect ? /^\d{1,10}$/.test(value) : grpc !== null
  if (!valid) return Status.INVALID_ARGUMENT
  return Number(connect ? value : grpc![1]) === 0 ? Status.DEADLINE_EXCEEDED : Status.OK
}

test('bogus and extreme grpc-timeout and connect-timeout-ms, with and without a Lambda context', async () => {
  // The deadline's clock stands still, so that whether a short timeout expires does not depend on this machine's load.
  jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] })
  try {
    await fc.assert(
      fc.asyncProperty(
        shape,
        fc.constantFrom(...contentTypes),
        grpcTimeouts,
        connectTimeouts,
        fc.boolean(),
        async (s, protocol, grpcTimeout, connectTimeout, withContext) => {
          const isConnect = protocol.family === 'connect' || protocol.family === 'connect-stream'
          const value = isConnect ? connectTimeout : grpcTimeout
          const json = protocol.contentType.includes('json')
          // No name: Stream fails when the request has one.
          const message = json ? Buffer.from('{"flag":true}') : Node.encode(Node.fromObject({ flag: true })).finish()
          const framedBody = protocol.family === 'connect' || protocol.family === 'twirp' ? message : frame(0, message)
          const body =
            protocol.family === 'grpc-web-text' ? Buffer.from(Buffer.from(framedBody).toString('base64')) : framedBody
          const event = httpEvent(s, {
            path: protocol.path ?? '/fuzz.v1.FuzzService/Echo',
            headers: [
              ['content-type', protocol.contentType],
              [isConnect ? 'connect-timeout-ms' : 'grpc-timeout', value],
            ],
            body,
          })
          const result = await lambda(event, withContext ? lambdaContext() : ({} as never))
          const read = assertWellFormed(result, s, protocol.family, false)
          expect(read.code).toBe(expectedTimeoutCode(value, protocol.family))
        },
      ),
      runs(2500),
    )
  } finally {
    jest.useRealTimers()
  }
})

test('Connect GET with broken query strings', async () => {
  const token = fc.oneof(
    fc.constantFrom(
      'connect',
      'v1',
      'encoding',
      'json',
      'proto',
      'message',
      'base64',
      '1',
      'compression',
      'gzip',
      'identity',
    ),
    fc.constantFrom('=', '&', '%', '%2', '%zz', '%00', '%E2%82', '+', '?', '#', ';', '==', '&&', '%3D', '%26'),
    fc.constantFrom(
      '%7B%22name%22%3A%22x%22%7D',
      '{"name":"x"}',
      'CgJoaQ',
      'CgJoaQ==',
      'CgJoaQ%3D%3D',
      'H4sIAAAAAAAA',
      '__proto__',
      'constructor',
    ),
    fc.string({ maxLength: 8 }),
  )
  const query = fc.oneof(
    fc.array(token, { maxLength: 16 }).map((tokens) => tokens.join('')),
    fc
      .record({
        connect: fc.constantFrom('connect=v1', 'connect=v2', 'connect=', ''),
        encoding: fc.constantFrom('encoding=json', 'encoding=proto', 'encoding=JSON', 'encoding=', 'encoding=xml', ''),
        message: fc.oneof(token, fc.string({ maxLength: 30 })).map((m) => `message=${m}`),
        base64: fc.constantFrom('base64=1', 'base64=0', 'base64=true', ''),
        compression: fc.constantFrom('compression=gzip', 'compression=br', 'compression=identity', 'compression=', ''),
      })
      .map((parts) =>
        Object.values(parts)
          .filter((p) => p !== '')
          .join('&'),
      ),
  )
  await fc.assert(
    fc.asyncProperty(
      shape,
      query,
      fc.constantFrom('/fuzz.v1.FuzzService/Lookup', '/fuzz.v1.FuzzService/Echo', '/x'),
      async (s, q, path) => {
        const event = httpEvent(s, { method: 'GET', path, query: q })
        const result = await lambda(event, lambdaContext())
        assertWellFormed(result, s, 'connect', true)
      },
    ),
    runs(3000),
  )
})

// ---- event shapes with fields missing or of the wrong kind ----

const eventFields = [
  'headers',
  'multiValueHeaders',
  'body',
  'isBase64Encoded',
  'path',
  'rawPath',
  'rawQueryString',
  'queryStringParameters',
  'multiValueQueryStringParameters',
  'cookies',
  'requestContext',
  'requestContext.http',
  'requestContext.http.method',
  'requestContext.http.path',
  'requestContext.domainName',
  'requestContext.elb',
  'httpMethod',
  'version',
  'routeKey',
]
const replacement = fc.constantFrom<unknown>(
  'delete',
  null,
  undefined,
  '',
  0,
  42,
  true,
  {},
  [],
  ['x'],
  'text',
  { a: ['b'] },
  { 'content-type': null },
)

function mutate(event: any, field: string, value: unknown): void {
  const keys = field.split('.')
  let target = event
  for (const key of keys.slice(0, -1)) {
    if (typeof target !== 'object' || target === null) return
    target = target[key]
  }
  if (typeof target !== 'object' || target === null) return
  const last = keys.at(-1)!
  if (value === 'delete') delete target[last]
  else target[last] = value
}

const notHttpMessage = 'middy-grpc: the event is not an HTTP event of API Gateway, ALB or a Function URL'

test('every event shape with fields missing or malformed', async () => {
  await fc.assert(
    fc.asyncProperty(
      shape,
      fc.constantFrom(...contentTypes),
      fc.array(fc.tuple(fc.constantFrom(...eventFields), replacement), { minLength: 1, maxLength: 4 }),
      async (s, protocol, mutations) => {
        const event = httpEvent(s, {
          path: protocol.path ?? '/fuzz.v1.FuzzService/Echo',
          headers: [
            ['content-type', protocol.contentType],
            ['x-echo-a', 'b'],
          ],
          body: hiFrame,
        })
        for (const [field, value] of mutations) mutate(event, field, value)
        if (detectEventShape(event) === undefined) {
          // Not an HTTP event: there is no HTTP response to give; Lambda reports the invocation error.
          await expect(lambda(event, lambdaContext())).rejects.toThrow(new TypeError(notHttpMessage))
          return
        }
        const result = await lambda(event, lambdaContext())
        assertWellFormed(result, detectEventShape(event)!, undefined, true)
      },
    ),
    runs(3000),
  )
})

test('events that are not HTTP events throw a TypeError with a fixed message', async () => {
  const events: unknown[] = [
    loadEvent('sqs'),
    loadEvent('eventbridge-scheduled'),
    loadEvent('websocket-connect'),
    null,
    undefined,
    0,
    'GET /',
    [],
    {},
    { requestContext: null },
    { version: '2.0', requestContext: {} },
    { httpMethod: 7, requestContext: {} },
  ]
  for (const event of events) {
    let thrown: unknown
    try {
      await lambda(event as never, lambdaContext())
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as Error).message).toBe(notHttpMessage)
    assertNoLeak((thrown as Error).message, 'thrown message')
  }
})
