import { buildMethodTable, findMethod, methodKind } from '../../src/methods.js'
import { Item, Items, itemBytes } from './schema.js'

describe('buildMethodTable', () => {
  test('a reflection service: every method, keyed by pkg.Service/Method, with flags and one codec per type', () => {
    const table = buildMethodTable(Items)
    expect([...table.keys()]).toEqual([
      'unit.v1.Items/Get',
      'unit.v1.Items/List',
      'unit.v1.Items/Upload',
      'unit.v1.Items/Peek',
      'unit.v1.Items/Chat',
    ])
    const get = table.get('unit.v1.Items/Get')
    expect(get).toMatchObject({
      name: 'Get',
      serviceName: 'unit.v1.Items',
      path: '/unit.v1.Items/Get',
      requestStream: false,
      responseStream: false,
      idempotency: 'IDEMPOTENCY_UNKNOWN',
    })
    expect(get?.descriptor).toBe(Items.methods.Get)
    expect(get?.requestCodec).toBe(get?.responseCodec)
    expect([...(get?.responseCodec.encodeBinary({ name: 'ab', count: 3 }) ?? [])]).toEqual(itemBytes)
    expect(table.get('unit.v1.Items/List')?.responseStream).toBe(true)
    expect(table.get('unit.v1.Items/Upload')?.requestStream).toBe(true)
    expect(table.get('unit.v1.Items/Peek')?.idempotency).toBe('NO_SIDE_EFFECTS')
    expect(table.get('unit.v1.Items/Chat')).toMatchObject({ requestStream: true, responseStream: true })
  })

  test('methodKind: the four kinds from the two stream flags', () => {
    const table = buildMethodTable(Items)
    const kinds = ['Get', 'List', 'Upload', 'Chat'].map((name) => methodKind(table.get(`unit.v1.Items/${name}`)!))
    expect(kinds).toEqual(['unary', 'server_streaming', 'client_streaming', 'bidi_streaming'])
  })

  test('a static table keyed by path', () => {
    const table = buildMethodTable({
      methods: { '/unit.v1.Items/Get': { requestType: Item, responseType: Item, idempotency: 'IDEMPOTENT' } },
    })
    const get = table.get('unit.v1.Items/Get')
    expect(get).toMatchObject({ name: 'Get', serviceName: 'unit.v1.Items', idempotency: 'IDEMPOTENT' })
    expect(get?.descriptor).toBeUndefined()
  })

  test('a static path that is not /pkg.Service/Method is refused at factory time', () => {
    expect(() => buildMethodTable({ methods: { Get: { requestType: Item, responseType: Item } } })).toThrow(
      'middy-grpc: "Get" is not a method path like /pkg.Service/Method',
    )
  })

  test('only one method, or an error naming the one that is missing', () => {
    expect([...buildMethodTable(Items, 'Peek').keys()]).toEqual(['unit.v1.Items/Peek'])
    expect(() => buildMethodTable(Items, 'Nope')).toThrow('middy-grpc: the service has no method "Nope"')
  })
})

describe('findMethod', () => {
  const table = buildMethodTable(Items)
  test.each([
    ['/unit.v1.Items/Get', 'Get'],
    ['/prod/unit.v1.Items/Get', 'Get'],
    ['/twirp/unit.v1.Items/Peek', 'Peek'],
    ['unit.v1.Items/Get', 'Get'],
    ['/Get', undefined],
    ['/unit.v1.Items/Nope', undefined],
    ['', undefined],
  ])('%s -> %s', (path, name) => {
    expect(findMethod(table, path)?.name).toBe(name)
  })
})
