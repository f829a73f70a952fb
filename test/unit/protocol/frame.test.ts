import { gunzipSync } from 'node:zlib'
import { gzip } from '../../../src/compression.js'
import { encodeBareReply, frameMessage, frameReply } from '../../../src/protocol/frame.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

const message = new Uint8Array([1, 2, 3, 4])
const closing = new Uint8Array([0x80, 0, 0, 0, 0])

describe('frameMessage', () => {
  test('the message in an envelope, and a closing frame after it in the same buffer', () => {
    expect([...frameMessage(unitExchange({}), message)]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4])
    expect([...frameMessage(unitExchange({}), message, closing)]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4, 0x80, 0, 0, 0, 0])
  })

  test('compressed (flag 1) only when negotiated and at least compressMinBytes', () => {
    const small = unitExchange({ options: { compressMinBytes: 5 } })
    small.responseCompression = gzip
    expect([...frameMessage(small, message)]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4])
    const large = unitExchange({ options: { compressMinBytes: 4 } })
    large.responseCompression = gzip
    const frame = frameMessage(large, message)
    expect(frame[0]).toBe(1)
    expect(Buffer.from(frame).readUInt32BE(1)).toBe(frame.byteLength - 5)
    expect([...gunzipSync(frame.subarray(5))]).toEqual([1, 2, 3, 4])
  })
})

describe('frameReply', () => {
  test('the frame is built in the room the codec left: header in front, the closing frame behind', () => {
    const reply = replyOf(message)
    const { body, compressed, release } = frameReply(unitExchange({}), reply, closing)
    expect([...body]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4, 0x80, 0, 0, 0, 0])
    expect(compressed).toBe(false)
    // The body is the codec's memory until the caller hands it back.
    expect(reply.released).toBe(0)
    release?.()
    expect(reply.released).toBe(1)
    expect([...frameReply(unitExchange({}), replyOf(message)).body]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4])
  })

  test('compressed when negotiated and large enough; the message goes back to the codec at once', () => {
    const exchange = unitExchange({ options: { compressMinBytes: 4 } })
    exchange.responseCompression = gzip
    const reply = replyOf(message)
    const { body, compressed, release } = frameReply(exchange, reply, closing)
    expect(compressed).toBe(true)
    const length = Buffer.from(body).readUInt32BE(1)
    expect(body[0]).toBe(1)
    expect([...gunzipSync(body.subarray(5, 5 + length))]).toEqual([1, 2, 3, 4])
    expect([...body.subarray(5 + length)]).toEqual([...closing])
    expect(reply.released).toBe(1)
    expect(release).toBeUndefined()
  })

  test('negotiated but below compressMinBytes: flag 0, the message copied into its frame', () => {
    const exchange = unitExchange({ options: { compressMinBytes: 5 } })
    exchange.responseCompression = gzip
    const reply = replyOf(message)
    const { body, compressed } = frameReply(exchange, reply, closing)
    expect(compressed).toBe(false)
    expect([...body]).toEqual([0, 0, 0, 0, 4, 1, 2, 3, 4, 0x80, 0, 0, 0, 0])
    expect(reply.released).toBe(1)
  })

  test('a message over writeMaxBytes is RESOURCE_EXHAUSTED, compressed or not', () => {
    const plain = unitExchange({ options: { writeMaxBytes: 3 } })
    expect(catchGrpcError(() => frameReply(plain, replyOf(message))).code).toBe(Status.RESOURCE_EXHAUSTED)
    const gzipped = unitExchange({ options: { writeMaxBytes: 3, compressMinBytes: 0 } })
    gzipped.responseCompression = gzip
    const error = catchGrpcError(() => frameReply(gzipped, replyOf(message)))
    expect(error.message).toBe('message size 4 is larger than the limit 3')
  })
})

describe('encodeBareReply', () => {
  test('the message as encoded, without room; compressed when negotiated and large enough', () => {
    const reply = replyOf(message)
    const bare = encodeBareReply(unitExchange({}), reply)
    expect([...bare.body]).toEqual([1, 2, 3, 4])
    bare.release?.()
    expect(reply.released).toBe(1)
    const exchange = unitExchange({ options: { compressMinBytes: 4 } })
    exchange.responseCompression = gzip
    const compressed = encodeBareReply(exchange, replyOf(message))
    expect(compressed.compressed).toBe(true)
    expect([...gunzipSync(compressed.body)]).toEqual([1, 2, 3, 4])
  })

  test('a message over writeMaxBytes is RESOURCE_EXHAUSTED', () => {
    const exchange = unitExchange({ options: { writeMaxBytes: 3 } })
    expect(catchGrpcError(() => encodeBareReply(exchange, replyOf(message))).message).toBe(
      'message size 4 is larger than the limit 3',
    )
  })
})
