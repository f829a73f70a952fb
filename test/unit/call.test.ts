import { RpcCall, callExchange } from '../../src/call.js'
import { Deadline } from '../../src/deadline.js'
import { buildMethodTable } from '../../src/methods.js'
import { unitExchange } from './exchange.js'
import { Items } from './schema.js'

const method = buildMethodTable(Items).get('unit.v1.Items/Get')
if (method === undefined) throw new Error('no Get')

describe('RpcCall (event.grpc)', () => {
  test('a view of the exchange: request headers, response metadata made on first use and kept there', () => {
    const exchange = unitExchange({ headers: { 'x-a': '1' } })
    const call = new RpcCall(exchange, method, new Deadline(undefined, undefined))
    expect(exchange.responseHeader).toBeUndefined()
    call.responseHeader.set('x-h', '1')
    call.responseTrailer.set('x-t', '2')
    expect(exchange.responseHeader?.get('x-h')).toBe('1')
    expect(exchange.responseTrailer?.get('x-t')).toBe('2')
    expect(call.requestHeader.get('x-a')).toBe('1')
    expect(call.requestHeader).toBe(call.requestHeader)
    expect(callExchange(call)).toBe(exchange)
  })

  test('method, service, deadline and signal', () => {
    const deadline = new Deadline(undefined, undefined)
    const call = new RpcCall(unitExchange({}), method, deadline)
    expect(call.method).toBe(method)
    expect(call.service).toBe(Items)
    expect(call.deadline).toBe(Infinity)
    expect(call.signal).toBe(deadline.signal)
  })

  test('its own enumerable properties are plain data; no internals on its type or instance', () => {
    const call = new RpcCall(unitExchange({ codec: 'json' }), method, new Deadline(undefined, undefined))
    expect(Object.keys(call)).toEqual(['protocol', 'codec', 'timeoutMs'])
    expect(JSON.parse(JSON.stringify(call))).toEqual({ protocol: 'grpc-web', codec: 'json' })
    for (const name of ['abort', 'dispose', 'resolve', 'handlerError', 'peekResponseMetadata', 'expired']) {
      expect(name in call).toBe(false)
    }
  })
})
