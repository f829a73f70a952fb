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

  test('with room: zeros before and after the message, for the caller to fill', () => {
    const { bytes, release } = codec.encodeBinaryWithRoom?.({ name: 'ab', count: 3 }, 5, 2) ?? fail()
    expect([...bytes]).toEqual([0, 0, 0, 0, 0, ...itemBytes, 0, 0])
    release()
    expect([...(codec.encodeBinaryWithRoom?.({ name: 'ab', count: 3 }, 0, 0).bytes ?? [])]).toEqual(itemBytes)
  })

  test('with room: bytes not yet released are never written over by the next encode', () => {
    const first = codec.encodeBinaryWithRoom?.({ name: 'first', count: 1 }, 5, 0) ?? fail()
    const before = [...first.bytes]
    const second = codec.encodeBinaryWithRoom?.({ name: 'other', count: 2 }, 5, 0) ?? fail()
    expect([...first.bytes]).toEqual(before)
    second.release()
    const third = codec.encodeBinaryWithRoom?.({ name: 'third', count: 3 }, 5, 0) ?? fail()
    expect([...first.bytes]).toEqual(before)
    expect(Item.decode(third.bytes.subarray(5)).toJSON()).toEqual({ name: 'third', count: 3 })
    first.release()
    third.release()
  })

  test('with room: a wrong reply fails as it does without room', () => {
    expect(() => codec.encodeBinaryWithRoom?.({ child: 5 }, 5, 0)).toThrow(
      'unit.v1.Item.child: a number is not a message',
    )
    expect([...(codec.encodeBinaryWithRoom?.({ name: 'ab', count: 3 }, 1, 0).bytes ?? [])]).toEqual([0, ...itemBytes])
  })
})

function fail(): never {
  throw new Error('protobufjsCodec has no encodeBinaryWithRoom')
}
