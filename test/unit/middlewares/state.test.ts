import { getState, requireExchange, requireState, setState } from '../../../src/middlewares/state.js'
import { unitExchange } from '../exchange.js'

describe('request state', () => {
  test('kept under a symbol: invisible to keys, JSON and structuredClone', () => {
    const request = { event: {}, context: {}, internal: {} } as never
    const exchange = unitExchange({})
    setState(request, { http: exchange.http, streamifyResponse: false, exchange })
    expect(getState(request)?.exchange).toBe(exchange)
    expect(requireExchange(request, 'x')).toBe(exchange)
    expect(Object.keys(request)).toEqual(['event', 'context', 'internal'])
    expect(JSON.stringify(request)).toBe('{"event":{},"context":{},"internal":{}}')
  })

  test('a middleware used without the ones it needs says which', () => {
    const request = { event: {} } as never
    expect(() => requireState(request, 'grpcProtocol')).toThrow(
      'middy-grpc: grpcProtocol needs grpcHttpEvent() before it',
    )
    setState(request, { http: unitExchange({}).http, streamifyResponse: false })
    expect(() => requireExchange(request, 'grpcMessages')).toThrow(
      'middy-grpc: grpcMessages needs grpcProtocol() before it',
    )
  })
})
