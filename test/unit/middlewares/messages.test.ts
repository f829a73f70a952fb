import { RouteNotFoundError } from '../../../src/grpc-error.js'
import { grpcHttpEvent } from '../../../src/middlewares/http-event.js'
import { grpcMessages } from '../../../src/middlewares/messages.js'
import { grpcProtocol } from '../../../src/middlewares/protocol.js'
import { requireExchange } from '../../../src/middlewares/state.js'
import { Status } from '../../../src/status.js'
import { Items, itemBytes } from '../schema.js'
import { middyRequest } from './middy-request.js'

function prepared(path: string, body = [0, 0, 0, 0, itemBytes.length, ...itemBytes]) {
  const request = middyRequest(new Uint8Array(body), undefined, path)
  grpcHttpEvent().before?.(request)
  grpcProtocol({ logger: false }).before?.(request)
  return request
}

describe('grpcMessages', () => {
  const middleware = grpcMessages({ service: Items })

  test('before: the method resolved, the message decoded, event.grpc set', () => {
    const request = prepared('/stage/unit.v1.Items/Get')
    middleware.before?.(request)
    expect(request.event.message.toJSON()).toEqual({ name: 'ab', count: 3 })
    expect(request.event.grpc.method.path).toBe('/unit.v1.Items/Get')
    expect(request.event.grpc.protocol).toBe('grpc-web')
    expect(request.event.grpc.service).toBe(Items)
  })

  test('event.grpc clones to plain data only (input-output-logger)', () => {
    const request = prepared('/unit.v1.Items/Get')
    middleware.before?.(request)
    expect(structuredClone(request.event.grpc)).toEqual({ protocol: 'grpc-web', codec: 'proto', timeoutMs: undefined })
  })

  test('after: the reply encoded with the response codec', () => {
    const request = prepared('/unit.v1.Items/Get')
    middleware.before?.(request)
    request.response = { name: 'ab', count: 3 }
    middleware.after?.(request)
    expect([...(requireExchange(request, 'test').reply ?? [])]).toEqual(itemBytes)
  })

  test('an unknown path is a RouteNotFoundError (UNIMPLEMENTED)', () => {
    const request = prepared('/unit.v1.Items/Nope')
    let thrown: unknown
    try {
      middleware.before?.(request)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(RouteNotFoundError)
    expect(thrown).toMatchObject({ code: Status.UNIMPLEMENTED, message: 'unknown method /unit.v1.Items/Nope' })
  })

  test('client streaming cannot run on Lambda: UNIMPLEMENTED', () => {
    expect(() => middleware.before?.(prepared('/unit.v1.Items/Upload'))).toThrow(
      '/unit.v1.Items/Upload: client and bidirectional streaming cannot run on Lambda',
    )
  })

  test('without grpcProtocol before it, it says so', () => {
    const request = middyRequest(new Uint8Array(0))
    grpcHttpEvent().before?.(request)
    expect(() => middleware.before?.(request)).toThrow('middy-grpc: grpcMessages needs grpcProtocol() before it')
  })
})
