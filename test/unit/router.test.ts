import { jest } from '@jest/globals'
import type { Context } from 'aws-lambda'
import { RpcCall } from '../../src/call.js'
import { Deadline } from '../../src/deadline.js'
import { GrpcError } from '../../src/grpc-error.js'
import type { GrpcEvent } from '../../src/middlewares/messages.js'
import { buildMethodTable } from '../../src/methods.js'
import type { Exchange } from '../../src/protocol/protocol.js'
import { grpcRouter } from '../../src/router.js'
import { Status } from '../../src/status.js'
import { Items } from './schema.js'
import { unitExchange } from './exchange.js'

const table = buildMethodTable(Items)
const context = {} as Context

function eventFor(path: string, deadline: Deadline): { event: GrpcEvent; exchange: Exchange } {
  const method = table.get(path.slice(1))
  if (method === undefined) throw new Error(path)
  const exchange = unitExchange({ path })
  exchange.deadline = deadline
  return { event: { message: {}, grpc: new RpcCall(exchange, method, deadline) } as GrpcEvent, exchange }
}

describe('grpcRouter', () => {
  afterEach(() => {
    jest.useRealTimers()
  })

  test('routes by method name or by path', async () => {
    const router = grpcRouter({ Get: () => ({ name: 'by name' }), '/unit.v1.Items/Peek': () => ({ name: 'by path' }) })
    const signal = new AbortController().signal
    const get = eventFor('/unit.v1.Items/Get', new Deadline(undefined, undefined))
    const peek = eventFor('/unit.v1.Items/Peek', new Deadline(undefined, undefined))
    await expect(router(get.event, context, { signal })).resolves.toEqual({ name: 'by name' })
    await expect(router(peek.event, context, { signal })).resolves.toEqual({ name: 'by path' })
  })

  test('a declared method without a handler is UNIMPLEMENTED', async () => {
    const { event } = eventFor('/unit.v1.Items/Peek', new Deadline(undefined, undefined))
    await expect(grpcRouter({})(event, context, { signal: new AbortController().signal })).rejects.toMatchObject({
      code: Status.UNIMPLEMENTED,
      message: 'method /unit.v1.Items/Peek is not implemented',
    })
  })

  test('without grpcFraming in front it says so', async () => {
    await expect(grpcRouter({})({} as GrpcEvent, context, { signal: new AbortController().signal })).rejects.toThrow(
      'middy-grpc: grpcRouter needs grpcFraming() in front of it',
    )
  })

  test("a client deadline that comes first is raced: DEADLINE_EXCEEDED on time, the handler's signal aborted", async () => {
    jest.useFakeTimers({ now: 0 })
    const { event } = eventFor('/unit.v1.Items/Get', new Deadline(100, { getRemainingTimeInMillis: () => 10_000 }))
    const pending = grpcRouter({ Get: () => new Promise(() => undefined) })(event, context, {
      signal: new AbortController().signal,
    })
    jest.advanceTimersByTime(100)
    await expect(pending).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED })
    expect(event.grpc.signal.aborted).toBe(true)
  })

  test("the Lambda's deadline is Middy's to answer: no timer", async () => {
    jest.useFakeTimers({ now: 0 })
    const { event } = eventFor('/unit.v1.Items/Get', new Deadline(undefined, { getRemainingTimeInMillis: () => 100 }))
    await grpcRouter({ Get: () => ({}) })(event, context, { signal: new AbortController().signal })
    expect(jest.getTimerCount()).toBe(0)
  })

  test("the handler's own error is kept for grpcProtocol's onError", async () => {
    const { event, exchange } = eventFor('/unit.v1.Items/Get', new Deadline(undefined, undefined))
    const thrown = new GrpcError(Status.UNAVAILABLE, 'down')
    await expect(
      grpcRouter({
        Get: () => {
          throw thrown
        },
      })(event, context, { signal: new AbortController().signal }),
    ).rejects.toBe(thrown)
    expect(exchange.handlerError).toEqual({ thrown, mapped: thrown })
  })

  test('an error is mapped where it was thrown: a later `expose` (http-error-handler sets it) changes nothing', async () => {
    const { event, exchange } = eventFor('/unit.v1.Items/Get', new Deadline(undefined, undefined))
    const thrown = Object.assign(new Error('arn:aws:iam::123456789012:role/x is not authorized'), { statusCode: 403 })
    await expect(
      grpcRouter({
        Get: () => {
          throw thrown
        },
      })(event, context, { signal: new AbortController().signal }),
    ).rejects.toBe(thrown)
    Object.assign(thrown, { expose: true })
    expect(exchange.handlerError?.thrown).toBe(thrown)
    expect(exchange.handlerError?.mapped).toMatchObject({
      code: Status.PERMISSION_DENIED,
      message: 'PERMISSION_DENIED',
    })
  })

  test('a value that throws when inspected is rethrown as its INTERNAL GrpcError, the value as its cause', async () => {
    const { event, exchange } = eventFor('/unit.v1.Items/Get', new Deadline(undefined, undefined))
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    const rejected = await grpcRouter({
      Get: () => {
        throw revocable.proxy
      },
    })(event, context, { signal: new AbortController().signal }).catch((error: unknown) => error)
    expect(rejected).toBeInstanceOf(GrpcError)
    expect(rejected === exchange.handlerError?.mapped).toBe(true)
    expect((rejected as GrpcError).cause === revocable.proxy).toBe(true)
  })
})
