import { Status } from '../../src/status.js'
import {
  decodeSingleEnvelope,
  encodeEnvelope,
  envelopeHeaderBytes,
  flagCompressed,
  flagEndStream,
  flagTrailer,
  readEnvelopes,
  writeEnvelopeHeader,
} from '../../src/envelope.js'
import { catchGrpcError } from './helpers.js'

const fourMiB = 4 * 1024 * 1024

describe('envelope constants', () => {
  test('flags and header size', () => {
    expect(flagCompressed).toBe(0x01)
    expect(flagEndStream).toBe(0x02)
    expect(flagTrailer).toBe(0x80)
    expect(envelopeHeaderBytes).toBe(5)
  })
})

describe('encodeEnvelope', () => {
  test('flag byte, big-endian uint32 length, then the payload', () => {
    const payload = Uint8Array.from([0x0a, 0x02, 0x68, 0x69])
    expect([...encodeEnvelope(0, payload)]).toEqual([0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x68, 0x69])
  })

  test('a 300-byte compressed payload has length bytes 00 00 01 2c', () => {
    const frame = encodeEnvelope(flagCompressed, new Uint8Array(300).fill(0xab))
    expect(frame.byteLength).toBe(305)
    expect([...frame.subarray(0, 6)]).toEqual([0x01, 0x00, 0x00, 0x01, 0x2c, 0xab])
    expect(frame[304]).toBe(0xab)
  })

  test('an empty trailer frame is five bytes', () => {
    expect([...encodeEnvelope(flagTrailer, new Uint8Array(0))]).toEqual([0x80, 0x00, 0x00, 0x00, 0x00])
  })

  test('encodes only the view of a subarray', () => {
    const buffer = Uint8Array.from([0xee, 0x08, 0x01, 0xee])
    expect([...encodeEnvelope(0, buffer.subarray(1, 3))]).toEqual([0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01])
  })
})

describe('writeEnvelopeHeader', () => {
  test('writes in place at the offset', () => {
    const target = new Uint8Array(8).fill(0xff)
    writeEnvelopeHeader(target, 2, 0x80, 0x01020304)
    expect([...target]).toEqual([0xff, 0xff, 0x80, 0x01, 0x02, 0x03, 0x04, 0xff])
  })

  test('the largest length 2^32-1 is ff ff ff ff', () => {
    const target = new Uint8Array(5)
    writeEnvelopeHeader(target, 0, 0, 0xffffffff)
    expect([...target]).toEqual([0x00, 0xff, 0xff, 0xff, 0xff])
  })
})

describe('decodeSingleEnvelope', () => {
  test('returns the flags and exactly the message bytes', () => {
    const body = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x96, 0x01])
    const envelope = decodeSingleEnvelope(body, fourMiB)
    expect(envelope.flags).toBe(0)
    expect([...envelope.data]).toEqual([0x08, 0x96, 0x01])
  })

  test('keeps the compressed flag for the caller', () => {
    const envelope = decodeSingleEnvelope(Uint8Array.from([0x01, 0x00, 0x00, 0x00, 0x01, 0x2a]), fourMiB)
    expect(envelope.flags).toBe(0x01)
    expect([...envelope.data]).toEqual([0x2a])
  })

  test('a zero-length message is a valid (empty) message', () => {
    const envelope = decodeSingleEnvelope(Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00]), fourMiB)
    expect(envelope.data.byteLength).toBe(0)
  })

  test('an empty body (no message at all) is UNIMPLEMENTED', () => {
    expect(catchGrpcError(() => decodeSingleEnvelope(new Uint8Array(0), fourMiB)).code).toBe(Status.UNIMPLEMENTED)
  })

  test('two messages in a unary request are UNIMPLEMENTED', () => {
    const body = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x10])
    const error = catchGrpcError(() => decodeSingleEnvelope(body, fourMiB))
    expect(error.code).toBe(Status.UNIMPLEMENTED)
    expect(error.message).toBe('unary request has more than one message')
  })

  test.each([1, 2, 3, 4])('a truncated header of %i bytes is INVALID_ARGUMENT', (length) => {
    const body = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x01]).subarray(0, length)
    const error = catchGrpcError(() => decodeSingleEnvelope(body, fourMiB))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe(`protocol error: incomplete envelope header (${length} of 5 bytes)`)
  })

  test('a body shorter than the declared length is INVALID_ARGUMENT', () => {
    const body = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x02])
    const error = catchGrpcError(() => decodeSingleEnvelope(body, fourMiB))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe('protocol error: envelope declares 5 bytes but 2 follow')
  })

  test.each([1, 2, 3, 4])('%i trailing bytes after the message are INVALID_ARGUMENT', (extra) => {
    const body = new Uint8Array(6 + extra)
    body.set([0x00, 0x00, 0x00, 0x00, 0x01, 0x08])
    const error = catchGrpcError(() => decodeSingleEnvelope(body, fourMiB))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe(`protocol error: ${extra} trailing bytes after the message`)
  })

  test('a message of exactly readMaxBytes is accepted', () => {
    const body = new Uint8Array(5 + 10).fill(0x61)
    body.set([0x00, 0x00, 0x00, 0x00, 0x0a])
    expect(decodeSingleEnvelope(body, 10).data.byteLength).toBe(10)
  })

  test('one byte over readMaxBytes is RESOURCE_EXHAUSTED', () => {
    const body = new Uint8Array(5 + 11).fill(0x61)
    body.set([0x00, 0x00, 0x00, 0x00, 0x0b])
    const error = catchGrpcError(() => decodeSingleEnvelope(body, 10))
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(error.message).toBe('message size 11 is larger than the limit 10')
  })

  test('the size limit is checked before truncation: a bare header declaring too much is RESOURCE_EXHAUSTED', () => {
    const error = catchGrpcError(() => decodeSingleEnvelope(Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x0b]), 10))
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED)
  })

  test('length 2^31-1 is read as unsigned and refused without allocating', () => {
    const error = catchGrpcError(() => decodeSingleEnvelope(Uint8Array.from([0x00, 0x7f, 0xff, 0xff, 0xff]), fourMiB))
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(error.message).toBe('message size 2147483647 is larger than the limit 4194304')
  })

  test('length 2^32-1 is read as unsigned (not -1) and refused', () => {
    const error = catchGrpcError(() => decodeSingleEnvelope(Uint8Array.from([0x00, 0xff, 0xff, 0xff, 0xff]), fourMiB))
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(error.message).toBe('message size 4294967295 is larger than the limit 4194304')
  })

  test('the returned data is a view into the body, not a copy', () => {
    const body = Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01])
    const { data } = decodeSingleEnvelope(body, fourMiB)
    expect(data.buffer).toBe(body.buffer)
    expect(data.byteOffset).toBe(5)
  })
})

describe('readEnvelopes', () => {
  test('each envelope of a body in order, views of it; an empty body has none', () => {
    const body = Uint8Array.from([0x00, 0, 0, 0, 1, 0x2a, 0x01, 0, 0, 0, 0, 0x00, 0, 0, 0, 2, 7, 8])
    expect([...readEnvelopes(body, fourMiB)].map(({ flags, data }) => [flags, ...data])).toEqual([
      [0x00, 0x2a],
      [0x01],
      [0x00, 7, 8],
    ])
    expect([...readEnvelopes(new Uint8Array(0), fourMiB)]).toEqual([])
  })

  test('a bad envelope throws when reached, after the good ones', () => {
    const seen: number[] = []
    const error = catchGrpcError(() => {
      for (const { data } of readEnvelopes(Uint8Array.from([0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 11]), 10)) seen.push(...data)
    })
    expect(seen).toEqual([5])
    expect(error).toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: 'message size 11 is larger than the limit 10',
    })
  })
})
