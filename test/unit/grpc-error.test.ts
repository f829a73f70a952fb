import { createError } from '@middy/util'
import protobuf from 'protobufjs'
import { GrpcError, internalErrorMessage, isInspectable } from '../../src/grpc-error.js'
import { Metadata } from '../../src/metadata.js'
import { Status } from '../../src/status.js'

// A tiny reflection type: demo.Reason { string reason = 1; }
const demoRoot = protobuf.Root.fromJSON({
  nested: { demo: { nested: { Reason: { fields: { reason: { type: 'string', id: 1 } } } } } },
})
const Reason = demoRoot.lookupType('demo.Reason')

describe('GrpcError constructor', () => {
  test('keeps code and message, and carries the Connect HTTP status with expose for http-error-handler', () => {
    const error = new GrpcError(Status.NOT_FOUND, 'no such user')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('GrpcError')
    expect(error.code).toBe(5)
    expect(error.message).toBe('no such user')
    expect(error.statusCode).toBe(404)
    expect(error.expose).toBe(true)
    expect(error.details).toEqual([])
    expect(error.metadata.size).toBe(0)
    expect(error.cause).toBeUndefined()
  })

  test('the message defaults to empty', () => {
    expect(new GrpcError(Status.CANCELLED).message).toBe('')
  })

  test('statusCode follows the Connect table', () => {
    expect(new GrpcError(Status.RESOURCE_EXHAUSTED).statusCode).toBe(429)
    expect(new GrpcError(Status.UNAUTHENTICATED).statusCode).toBe(401)
    expect(new GrpcError(Status.CANCELLED).statusCode).toBe(499)
  })

  test.each([17, -1, 1.5, NaN, '5'])('code %p throws a TypeError', (code) => {
    expect(() => new GrpcError(code as never, 'x')).toThrow(TypeError)
    expect(() => new GrpcError(code as never, 'x')).toThrow('is not a status code (0-16)')
  })

  test('keeps the cause', () => {
    const cause = { reason: 'db down' }
    expect(new GrpcError(Status.UNAVAILABLE, 'later', { cause }).cause).toBe(cause)
  })

  test('metadata from a record, with repeated values', () => {
    const error = new GrpcError(Status.ABORTED, 'x', { metadata: { 'X-Retry': '1', 'x-tags': ['a', 'b'] } })
    expect([...error.metadata]).toEqual([
      ['x-retry', '1'],
      ['x-tags', 'a, b'],
    ])
  })

  test('metadata from an array of pairs', () => {
    const error = new GrpcError(Status.ABORTED, 'x', {
      metadata: [
        ['x-a', '1'],
        ['x-a', '2'],
      ],
    })
    expect(error.metadata.getAll('x-a')).toEqual(['1', '2'])
  })

  test('a Metadata is used as it is', () => {
    const metadata = new Metadata({ 'x-a': '1' })
    expect(new GrpcError(Status.ABORTED, 'x', { metadata }).metadata).toBe(metadata)
  })
})

describe('GrpcError details', () => {
  test('a { type, value } pair is kept', () => {
    const value = Uint8Array.from([0x0a, 0x01, 0x41])
    const error = new GrpcError(Status.INVALID_ARGUMENT, 'x', { details: [{ type: 'demo.Reason', value }] })
    expect(error.details).toEqual([{ type: 'demo.Reason', value }])
  })

  test('a protobufjs reflection message is encoded with its full name', () => {
    const error = new GrpcError(Status.INVALID_ARGUMENT, 'x', { details: [Reason.create({ reason: 'A' })] })
    expect(error.details).toHaveLength(1)
    expect(error.details[0].type).toBe('demo.Reason')
    // field 1, wire type 2: 0a, length 01, "A" 41
    expect([...error.details[0].value]).toEqual([0x0a, 0x01, 0x41])
  })

  test('a message from fromObject works the same way', () => {
    const error = new GrpcError(Status.INVALID_ARGUMENT, 'x', { details: [Reason.fromObject({ reason: 'hi' })] })
    expect([...error.details[0].value]).toEqual([0x0a, 0x02, 0x68, 0x69])
  })

  test('a message of a pbjs static module (class with encode and getTypeUrl)', () => {
    class StaticReason {
      constructor(readonly reason: string) {}
      static encode(message: StaticReason) {
        return { finish: () => Uint8Array.from([0x0a, message.reason.length, ...Buffer.from(message.reason)]) }
      }
      static getTypeUrl(prefix = 'type.googleapis.com') {
        return `${prefix}/demo.StaticReason`
      }
    }
    const error = new GrpcError(Status.INVALID_ARGUMENT, 'x', { details: [new StaticReason('B')] })
    expect(error.details).toEqual([{ type: 'demo.StaticReason', value: Uint8Array.from([0x0a, 0x01, 0x42]) }])
  })

  test('a plain object is refused', () => {
    expect(() => new GrpcError(Status.INVALID_ARGUMENT, 'x', { details: [{ reason: 'A' }] })).toThrow(TypeError)
  })
})

describe('GrpcError.from', () => {
  test('returns a GrpcError unchanged', () => {
    const error = new GrpcError(Status.NOT_FOUND, 'gone')
    expect(GrpcError.from(error)).toBe(error)
  })

  test('an exposed 404 (createError-like) is NOT_FOUND with its message', () => {
    const thrown = Object.assign(new Error('user 7 not found'), { statusCode: 404, expose: true })
    const error = GrpcError.from(thrown)
    expect(error.code).toBe(Status.NOT_FOUND)
    expect(error.message).toBe('user 7 not found')
    expect(error.cause).toBe(thrown)
  })

  test("Middy's createError: 404 keeps its message, 500 does not", () => {
    expect(GrpcError.from(createError(404, 'no such user'))).toMatchObject({
      code: Status.NOT_FOUND,
      message: 'no such user',
    })
    expect(GrpcError.from(createError(409, 'taken'))).toMatchObject({ code: Status.ALREADY_EXISTS, message: 'taken' })
    expect(GrpcError.from(createError(500, 'stack trace here'))).toMatchObject({
      code: Status.INTERNAL,
      message: 'INTERNAL',
    })
    expect(GrpcError.from(createError(504, 'upstream slow'))).toMatchObject({
      code: Status.DEADLINE_EXCEEDED,
      message: 'DEADLINE_EXCEEDED',
    })
  })

  test('a plain { statusCode, expose, message } object works too', () => {
    const error = GrpcError.from({ statusCode: 404, expose: true, message: 'no such user' })
    expect(error.code).toBe(Status.NOT_FOUND)
    expect(error.message).toBe('no such user')
  })

  test('an unexposed 500 is INTERNAL and its message is not sent', () => {
    const thrown = Object.assign(new Error('password=hunter2 rejected by db'), { statusCode: 500, expose: false })
    const error = GrpcError.from(thrown)
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).not.toContain('hunter2')
    expect(error.message).toBe('INTERNAL')
    expect(error.cause).toBe(thrown)
  })

  test('without expose, no message is sent, whatever the status (AWS SDK and HTTP client errors look like this)', () => {
    expect(GrpcError.from({ statusCode: 422, message: 'bad email' })).toMatchObject({
      code: Status.UNKNOWN,
      message: 'UNKNOWN',
    })
    expect(
      GrpcError.from({ statusCode: 403, code: 'AccessDenied', message: 'arn:aws:iam::123456789012' }),
    ).toMatchObject({
      code: Status.PERMISSION_DENIED,
      message: 'PERMISSION_DENIED',
    })
    expect(GrpcError.from({ statusCode: 503, message: 'secret upstream' })).toMatchObject({
      code: Status.UNAVAILABLE,
      message: 'UNAVAILABLE',
    })
  })

  test('only expose === true exposes: a truthy non-boolean does not', () => {
    expect(GrpcError.from({ statusCode: 401, expose: 'yes', message: 'who are you' }).message).toBe('UNAUTHENTICATED')
    expect(GrpcError.from({ statusCode: 401, expose: true, message: 'who are you' }).message).toBe('who are you')
  })

  test('expose: false hides even a 4xx message', () => {
    expect(GrpcError.from({ statusCode: 400, expose: false, message: 'hidden' })).toMatchObject({
      code: Status.INVALID_ARGUMENT,
      message: 'INVALID_ARGUMENT',
    })
  })

  test('a plain Error is INTERNAL with a generic message, the original kept as cause', () => {
    const thrown = new Error('TypeError deep inside')
    const error = GrpcError.from(thrown)
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('internal error')
    expect(internalErrorMessage).toBe('internal error')
    expect(error.cause).toBe(thrown)
  })

  test.each([
    ['a string', 'oops'],
    ['null', null],
    ['undefined', undefined],
    ['a string statusCode', { statusCode: '404' }],
  ])('%s is INTERNAL', (_, thrown) => {
    const error = GrpcError.from(thrown)
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('internal error')
  })
})

describe('isInspectable', () => {
  test('plain values and errors are', () => {
    for (const value of [null, undefined, 'x', 42, {}, new Error('x'), Object.create(null), () => 1]) {
      expect(isInspectable(value)).toBe(true)
    }
  })

  test('a revoked Proxy, a throwing trap or getter are not', () => {
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
      },
    )
    const getter = Object.defineProperty({}, 'statusCode', {
      get() {
        throw new Error('getter')
      },
    })
    for (const value of [revocable.proxy, trap, getter]) expect(isInspectable(value)).toBe(false)
  })
})
