import { gunzipSync } from 'node:zlib'
import { gzip } from '../../../src/compression.js'
import { compresses, frameMessage } from '../../../src/protocol/frame.js'
import { unitExchange } from '../exchange.js'

describe('frameMessage', () => {
  const message = new Uint8Array([1, 2, 3, 4])

  test('the message in an envelope, and a closing frame after it in the same buffer', () => {
    expect([...frameMessage(unitExchange({}), message)]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4])
    expect([...frameMessage(unitExchange({}), message, new Uint8Array([0x80, 0, 0, 0, 0]))]).toEqual([
      0, 0, 0, 0, 4, 1, 2, 3, 4, 0x80, 0, 0, 0, 0,
    ])
  })

  test('compressed (flag 1) only when negotiated and at least compressMinBytes', () => {
    const small = unitExchange({ options: { compressMinBytes: 5 } })
    small.responseCompression = gzip
    expect(compresses(small, 4)).toBe(false)
    expect([...frameMessage(small, message)]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4])
    const large = unitExchange({ options: { compressMinBytes: 4 } })
    large.responseCompression = gzip
    expect(compresses(large, 4)).toBe(true)
    const frame = frameMessage(large, message)
    expect(frame[0]).toBe(1)
    expect(Buffer.from(frame).readUInt32BE(1)).toBe(frame.byteLength - 5)
    expect([...gunzipSync(frame.subarray(5))]).toEqual([1, 2, 3, 4])
  })
})
