import { RpcError, type MethodInfo } from '@protobuf-ts/runtime-rpc'
import { TwirpFetchTransport } from '@protobuf-ts/twirp-transport'
import type { EventShape } from '../src/event/shape.js'
import { startGateway, type Gateway } from './support/gateway.js'
import { EchoRequestType, FailRequestType, echoMethod, failMethod } from './support/protobuf-ts-schema.js'
import { createTestLambda } from './support/test-service.js'

const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']

describe.each(shapes)('protobuf-ts Twirp client through a %s event', (shape) => {
  let gateway: Gateway
  beforeAll(async () => {
    gateway = await startGateway(createTestLambda(), shape)
  })
  afterAll(() => gateway.close())

  // As a generated client does: the transport's defaults merged into the call options.
  const call = <I extends object, O extends object>(
    sendJson: boolean,
    method: MethodInfo<I, O>,
    input: I,
    meta = {},
  ) => {
    const transport = new TwirpFetchTransport({ baseUrl: `${gateway.baseUrl}/twirp`, sendJson })
    return transport.unary(method, input, transport.mergeOptions({ meta }))
  }

  test.each([false, true])('sendJson %s: success', async (sendJson) => {
    const echo = call(
      sendJson,
      echoMethod,
      EchoRequestType.create({ text: 'twirp ☺', payload: new Uint8Array([1, 2, 3]), number: 42n }),
      { 'x-echo-a': '1' },
    )
    const reply = await echo.response
    expect(reply.text).toBe('twirp ☺')
    expect(reply.payload).toEqual(new Uint8Array([1, 2, 3]))
    expect(reply.number).toBe(42n)
    expect(reply.protocol).toBe('twirp')
    expect((await echo.headers)['x-echo-a']).toBe('1')
  })

  test.each([false, true])('sendJson %s: error code and message', async (sendJson) => {
    const error = await call(
      sendJson,
      failMethod,
      FailRequestType.create({ code: 7, message: 'nope ☺' }),
    ).response.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RpcError)
    expect((error as RpcError).code).toBe('permission_denied')
    expect((error as RpcError).message).toBe('nope ☺')
    expect((error as RpcError).meta['x-error-meta']).toBe('present')
  })
})
