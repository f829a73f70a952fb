import protobuf from 'protobufjs'
import { prototypeKeyDropper } from '../../../src/codecs/prototype-keys.js'
import { Item } from '../schema.js'

const root = protobuf.parse(`
  syntax = "proto3";
  message Tree { map<string, string> tags = 1; repeated Tree kids = 2; map<int32, Tree> byId = 3; }
  message Holder { Tree tree = 1; string name = 2; }
`).root
const Tree = root.lookupType('Tree')
const Holder = root.lookupType('Holder')

describe('prototypeKeyDropper', () => {
  test('a type that reaches no map has none: its messages are not walked', () => {
    expect(prototypeKeyDropper(Item)).toBeUndefined()
  })

  test('own __proto__ keys go, at any depth (recursive types, repeated and map values, nested messages)', () => {
    const withKey = () => {
      const map: Record<string, string> = { ok: '1' }
      Object.defineProperty(map, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true })
      return map
    }
    const message = { tree: { tags: withKey(), kids: [{ tags: withKey() }], byId: { 7: { tags: withKey() } } } }
    prototypeKeyDropper(Holder)?.(message)
    for (const map of [message.tree.tags, message.tree.kids[0].tags, message.tree.byId[7].tags]) {
      expect(Object.getOwnPropertyNames(map)).toEqual(['ok'])
    }
  })

  test('a map given another prototype (an older protobufjs assigned the key) gets its own back', () => {
    const map = Object.create({ polluted: true }) as Record<string, unknown>
    map.ok = '1'
    prototypeKeyDropper(Tree)?.({ tags: map })
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype)
    expect(map.polluted).toBeUndefined()
  })
})
