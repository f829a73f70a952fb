import { readerFor } from '../../../src/codecs/protobufjs-reader.js'
import { Item } from '../schema.js'

// Item { string name = 1; int32 count = 2; Item child = 3; }
describe('readerFor', () => {
  test.each([
    ['a string that claims 5 bytes, none present', [0x0a, 0x05]],
    ['a string that claims 5 bytes, 2 present', [0x0a, 0x05, 0x61, 0x62]],
    ['a nested message whose string is truncated', [0x1a, 0x02, 0x0a, 0x05]],
  ])('%s fails to decode, from a Buffer or a Uint8Array', (_name, bytes) => {
    expect(() => Item.decode(readerFor(Buffer.from(bytes)))).toThrow(RangeError)
    expect(() => Item.decode(readerFor(Uint8Array.from(bytes)))).toThrow(RangeError)
  })

  test('whole messages decode as before, views into a larger buffer included', () => {
    const backing = Buffer.from([0xff, 0x0a, 0x02, 0x61, 0x62, 0x10, 0x03, 0xff])
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 1, 6)
    expect(Item.decode(readerFor(view)).toJSON()).toEqual({ name: 'ab', count: 3 })
    expect(Item.decode(readerFor(Buffer.from([0x0a, 0x02, 0xc3, 0xa9]))).toJSON()).toEqual({ name: 'é' })
  })
})
