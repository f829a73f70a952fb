import { protobufjsCodec } from '../../../src/codecs/protobufjs.js'
import { Item, itemBytes } from '../schema.js'

describe('protobufjsCodec', () => {
  const codec = protobufjsCodec(Item)

  test('encodes a plain object and a message of the type to the same bytes', () => {
    expect([...codec.encodeBinary({ name: 'ab', count: 3 })]).toEqual(itemBytes)
    expect([...codec.encodeBinary(Item.create({ name: 'ab', count: 3 }))]).toEqual(itemBytes)
  })

  test('decodes binary', () => {
    expect(codec.decodeBinary(new Uint8Array(itemBytes)).toJSON()).toEqual({ name: 'ab', count: 3 })
  })

  test('a reply with a wrong field type fails in the codec (fromObject) instead of leaving as a corrupt frame', () => {
    expect(() => codec.encodeBinary({ child: 5 })).toThrow('unit.v1.Item.child: a number is not a message')
  })

  test('JSON both ways: lowerCamel or .proto names out, either name in', () => {
    expect(codec.encodeJson({ name: 'ab', count: 3 }, false)).toBe('{"name":"ab","count":3}')
    expect(codec.decodeJson('{"name":"x","count":"7"}').toJSON()).toEqual({ name: 'x', count: 7 })
  })

  test('truncated binary throws', () => {
    expect(() => codec.decodeBinary(new Uint8Array([0x0a, 0x05, 0x61]))).toThrow()
  })
})
