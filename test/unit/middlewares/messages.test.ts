import { RouteNotFoundError } from '../../../src/grpc-error.js'
import { grpcHttpEvent } from '../../../src/middlewares/http-event.js'
import { type GrpcEvent, grpcMessages } from '../../../src/middlewares/messages.js'
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

  test('after: the reply encoded with the response codec, with the room the protocol asks for', () => {
    const request = prepared('/unit.v1.Items/Get')
    middleware.before?.(request)
    request.response = { name: 'ab', count: 3 }
    middleware.after?.(request)
    const encoded = requireExchange(request, 'test').reply?.encode(5, 2)
    expect([...(encoded?.bytes.subarray(5, -2) ?? [])]).toEqual(itemBytes)
    expect(encoded?.bytes.byteLength).toBe(5 + itemBytes.length + 2)
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

  test('client streaming: event.messages in order, event.message undefined, the reply encoded as unary', async () => {
    const second = [0x0a, 0x01, 0x62]
    const request = prepared('/unit.v1.Items/Upload', [0, 0, 0, 0, 6, ...itemBytes, 0, 0, 0, 0, 3, ...second])
    middleware.before?.(request)
    expect(request.event.message).toBeUndefined()
    const received: unknown[] = []
    for await (const message of request.event.messages) received.push(message.toJSON())
    expect(received).toEqual([{ name: 'ab', count: 3 }, { name: 'b' }])
    request.response = { name: 'ab', count: 3 }
    middleware.after?.(request)
    expect([...(requireExchange(request, 'test').reply?.encode(0, 0).bytes ?? [])]).toEqual(itemBytes)
  })

  test('bidi: event.messages, and the reply is a stream', async () => {
    const request = prepared('/unit.v1.Items/Chat', [])
    middleware.before?.(request)
    const received: unknown[] = []
    for await (const message of request.event.messages) received.push(message)
    expect(received).toEqual([])
    request.response = [{ name: 'ab', count: 3 }]
    middleware.after?.(request)
    const replies: number[][] = []
    for await (const reply of requireExchange(request, 'test').replyStream ?? []) replies.push([...reply])
    expect(replies).toEqual([itemBytes])
  })

  test('a client stream over Connect unary (a bare body) is UNIMPLEMENTED', () => {
    const request = middyRequest(
      new Uint8Array(itemBytes),
      { 'content-type': 'application/proto' },
      '/unit.v1.Items/Upload',
    )
    grpcHttpEvent().before?.(request)
    grpcProtocol({ logger: false }).before?.(request)
    expect(() => middleware.before?.(request)).toThrow(
      '/unit.v1.Items/Upload is client-streaming: call it with gRPC, gRPC-Web or Connect streaming (application/connect+proto)',
    )
  })

  test('a unary method still takes exactly one envelope: zero or two are UNIMPLEMENTED', () => {
    expect(() => middleware.before?.(prepared('/unit.v1.Items/Get', []))).toThrow('unary request has no message')
    const two = [0, 0, 0, 0, 6, ...itemBytes, 0, 0, 0, 0, 6, ...itemBytes]
    expect(() => middleware.before?.(prepared('/unit.v1.Items/Get', two))).toThrow(
      'unary request has more than one message',
    )
  })

  test('GrpcEvent<Req, Res, Kind>: message for unary and server streams, messages for client and bidi', async () => {
    type Item = { name: string }
    const upload = async (event: GrpcEvent<Item, Item, 'client_streaming'>): Promise<string[]> => {
      const names: string[] = []
      for await (const item of event.messages) names.push(item.name)
      return names
    }
    const get = (event: GrpcEvent<Item, Item, 'unary'>): string => event.message.name
    const uploadRequest = prepared('/unit.v1.Items/Upload')
    middleware.before?.(uploadRequest)
    expect(await upload(uploadRequest.event)).toEqual(['ab'])
    const getRequest = prepared('/unit.v1.Items/Get')
    middleware.before?.(getRequest)
    expect(get(getRequest.event)).toBe('ab')
    // Checked by tsc (npm run typecheck): each line below must be a type error.
    // @ts-expect-error: a client-streaming event has no single message
    const noMessage = (event: GrpcEvent<Item, Item, 'client_streaming'>) => event.message.name
    // @ts-expect-error: a unary event has no message stream
    const noMessages = (event: GrpcEvent<Item, Item, 'unary'>) => event.messages[Symbol.asyncIterator]
    expect(() => noMessage(uploadRequest.event)).toThrow(TypeError)
    expect(() => noMessages(getRequest.event)).toThrow(TypeError)
  })

  test('without grpcProtocol before it, it says so', () => {
    const request = middyRequest(new Uint8Array(0))
    grpcHttpEvent().before?.(request)
    expect(() => middleware.before?.(request)).toThrow('middy-grpc: grpcMessages needs grpcProtocol() before it')
  })
})
