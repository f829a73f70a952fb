import { GrpcError } from '../../../src/grpc-error.js'
import { grpcHttpEvent } from '../../../src/middlewares/http-event.js'
import { grpcProtocol } from '../../../src/middlewares/protocol.js'
import { getState, requireExchange } from '../../../src/middlewares/state.js'
import { Status } from '../../../src/status.js'
import { replyOf } from '../exchange.js'
import { middyRequest } from './middy-request.js'

const message = [0x0a, 0x02, 0x61, 0x62]
const okTrailer = [0x80, 0, 0, 0, 0x10, ...Buffer.from('grpc-status: 0\r\n')]

function prepared(body: number[], options: Parameters<typeof grpcProtocol>[0] = {}, headers?: Record<string, string>) {
  const request = middyRequest(new Uint8Array(body), headers)
  grpcHttpEvent().before?.(request)
  const middleware = grpcProtocol({ logger: false, ...options })
  return { request, middleware }
}

describe('grpcProtocol', () => {
  test('before: the protocol read the request into the exchange, with its deadline', () => {
    const { request, middleware } = prepared(
      [0, 0, 0, 0, 4, ...message],
      {},
      {
        'content-type': 'application/grpc-web+proto',
        'grpc-timeout': '1S',
      },
    )
    middleware.before?.(request)
    const exchange = requireExchange(request, 'test')
    expect(exchange.protocol.name).toBe('grpc-web')
    expect(exchange.timeoutMs).toBe(1000)
    expect([...(exchange.requestBody?.envelopes ?? [])]).toEqual([0, 0, 0, 0, 4, ...message])
    expect(exchange.deadline?.clientFirst).toBe(true)
    exchange.deadline?.dispose()
  })

  test('after: the encoded reply framed by the protocol', () => {
    const { request, middleware } = prepared([0, 0, 0, 0, 4, ...message])
    middleware.before?.(request)
    requireExchange(request, 'test').reply = replyOf(message)
    middleware.after?.(request)
    expect([...((getState(request)?.response?.body ?? []) as Uint8Array)]).toEqual([
      0,
      0,
      0,
      0,
      4,
      ...message,
      ...okTrailer,
    ])
  })

  test('after: a reply over writeMaxBytes is RESOURCE_EXHAUSTED', () => {
    const { request, middleware } = prepared([0, 0, 0, 0, 4, ...message], { writeMaxBytes: 3 })
    middleware.before?.(request)
    requireExchange(request, 'test').reply = replyOf(message)
    expect(() => middleware.after?.(request)).toThrow('message size 4 is larger than the limit 3')
  })

  test("onError: the error in the protocol's form; what is not a GrpcError is INTERNAL and logged", () => {
    const logged: unknown[] = []
    const { request, middleware } = prepared([0, 0, 0, 0, 4, ...message], { logger: (entry) => logged.push(entry) })
    middleware.before?.(request)
    request.error = new Error('database down')
    middleware.onError?.(request)
    const text = 'grpc-status: 13\r\ngrpc-message: internal error\r\n'
    expect([...((getState(request)?.response?.body ?? []) as Uint8Array)]).toEqual([
      0x80,
      0,
      0,
      0,
      text.length,
      ...Buffer.from(text),
    ])
    expect(logged).toEqual([expect.objectContaining({ cause: request.error, requestId: 'req-1', method: undefined })])
  })

  test("onError: the handler's own error wins over what http-error-handler left in request.error", () => {
    const { request, middleware } = prepared([0, 0, 0, 0, 4, ...message])
    middleware.before?.(request)
    const thrown = new GrpcError(Status.UNAVAILABLE, 'later')
    requireExchange(request, 'test').handlerError = { thrown, mapped: thrown }
    request.error = new Error('replaced')
    middleware.onError?.(request)
    expect(Buffer.from(getState(request)?.response?.body as Uint8Array).toString()).toContain('grpc-status: 14')
  })

  test('a header limit fails before the message is read', () => {
    const { request, middleware } = prepared([0, 0, 0, 0, 4, ...message], { readMaxHeaders: 1 })
    expect(() => middleware.before?.(request)).toThrow(/request headers are more than the limit 1/)
  })

  test('without grpcHttpEvent before it, it says so', () => {
    expect(() => grpcProtocol().before?.(middyRequest(new Uint8Array(0)))).toThrow(
      'middy-grpc: grpcProtocol needs grpcHttpEvent() before it',
    )
  })
})
