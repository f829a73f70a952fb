import { gunzipSync, gzipSync, deflateSync, inflateSync, deflateRawSync } from 'node:zlib'
import {
  acceptEncodingValue,
  compressions,
  deflate,
  findRequestCompression,
  gzip,
  negotiateResponseCompression,
} from '../../src/compression.js'
import { Status } from '../../src/status.js'
import { catchGrpcError } from './helpers.js'

const text = Buffer.from('hello hello hello hello hello', 'utf8')

describe('gzip', () => {
  test('compresses to the gzip format (magic 1f 8b, method 08) that zlib reads back', () => {
    const compressed = gzip.compress(text)
    expect([...compressed.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08])
    expect(gunzipSync(compressed).toString('utf8')).toBe('hello hello hello hello hello')
  })

  test('round-trips', () => {
    expect(Buffer.from(gzip.decompress(gzip.compress(text), 1000)).equals(text)).toBe(true)
  })

  test('decompresses what another gzip writer produced', () => {
    expect([...gzip.decompress(gzipSync(Uint8Array.from([0x0a, 0x02, 0x68, 0x69])), 100)]).toEqual([
      0x0a, 0x02, 0x68, 0x69,
    ])
  })
})

describe('deflate (the zlib format, RFC 1950)', () => {
  test('compresses with a zlib header (CMF 0x78) that inflate reads back', () => {
    const compressed = deflate.compress(text)
    expect(compressed[0]).toBe(0x78)
    expect(((compressed[0] << 8) | compressed[1]) % 31).toBe(0)
    expect(inflateSync(compressed).toString('utf8')).toBe('hello hello hello hello hello')
  })

  test('round-trips and reads other zlib writers', () => {
    expect(Buffer.from(deflate.decompress(deflate.compress(text), 1000)).equals(text)).toBe(true)
    expect([...deflate.decompress(deflateSync(Uint8Array.from([1, 2, 3])), 100)]).toEqual([1, 2, 3])
  })

  test('raw deflate without the zlib header is INTERNAL', () => {
    expect(catchGrpcError(() => deflate.decompress(deflateRawSync(text), 1000)).code).toBe(Status.INTERNAL)
  })
})

describe('decompression limits', () => {
  const thousandBytes = gzipSync(Buffer.alloc(1000, 7))

  test('output of exactly maxBytes is accepted', () => {
    expect(gzip.decompress(thousandBytes, 1000).byteLength).toBe(1000)
  })

  test('one byte over maxBytes is RESOURCE_EXHAUSTED', () => {
    const error = catchGrpcError(() => gzip.decompress(thousandBytes, 999))
    expect(error.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(error.message).toBe('decompressed message is larger than the limit 999')
  })

  test('an unbounded limit (Infinity) still decompresses', () => {
    expect(gzip.decompress(thousandBytes, Infinity).byteLength).toBe(1000)
  })

  test('maxBytes 0 accepts an empty message and refuses a one-byte one', () => {
    expect(gzip.decompress(gzipSync(new Uint8Array(0)), 0).byteLength).toBe(0)
    expect(catchGrpcError(() => gzip.decompress(gzipSync(Uint8Array.from([1])), 0)).code).toBe(
      Status.RESOURCE_EXHAUSTED,
    )
  })

  describe('a gzip bomb: 10 MiB of zeros in about 10 KB', () => {
    const tenMiB = 10 * 1024 * 1024
    const bomb = gzipSync(Buffer.alloc(tenMiB))

    test('is small on the wire', () => {
      expect(bomb.byteLength).toBeLessThan(20 * 1024)
    })

    test('is refused at the default 4 MiB limit', () => {
      expect(catchGrpcError(() => gzip.decompress(bomb, 4 * 1024 * 1024)).code).toBe(Status.RESOURCE_EXHAUSTED)
    })

    test('inflates when the limit is exactly its size, not one byte less', () => {
      expect(gzip.decompress(bomb, tenMiB).byteLength).toBe(tenMiB)
      expect(catchGrpcError(() => gzip.decompress(bomb, tenMiB - 1)).code).toBe(Status.RESOURCE_EXHAUSTED)
    })

    test('the same holds for deflate', () => {
      const deflateBomb = deflateSync(Buffer.alloc(tenMiB))
      expect(catchGrpcError(() => deflate.decompress(deflateBomb, tenMiB - 1)).code).toBe(Status.RESOURCE_EXHAUSTED)
    })
  })
})

describe('corrupt input', () => {
  test.each([
    ['random bytes', Uint8Array.from([0x01, 0x02, 0x03, 0x04])],
    ['a truncated gzip stream', gzipSync(text).subarray(0, 12)],
    [
      'a gzip stream with a broken checksum',
      (() => {
        const g = Uint8Array.from(gzipSync(text))
        g[g.length - 6] ^= 0xff
        return g
      })(),
    ],
  ])('gzip: %s is INTERNAL', (_, data) => {
    const error = catchGrpcError(() => gzip.decompress(data, 1000))
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('failed to decompress gzip message')
    // zlib's own error is kept for logging (Z_DATA_ERROR, Z_BUF_ERROR).
    expect((error.cause as { code?: string }).code).toMatch(/^Z_/)
  })

  test('deflate: gzip data is INTERNAL', () => {
    const error = catchGrpcError(() => deflate.decompress(gzipSync(text), 1000))
    expect(error.code).toBe(Status.INTERNAL)
    expect(error.message).toBe('failed to decompress deflate message')
  })

  test('an empty input is INTERNAL, not an empty message', () => {
    expect(catchGrpcError(() => gzip.decompress(new Uint8Array(0), 1000)).code).toBe(Status.INTERNAL)
  })
})

describe('findRequestCompression', () => {
  test('lists what the server accepts', () => {
    expect(acceptEncodingValue).toBe('gzip, deflate, identity')
    expect(compressions.map((c) => c.name)).toEqual(['gzip', 'deflate'])
  })

  test.each([undefined, '', 'identity'])('%p means no compression', (name) => {
    expect(findRequestCompression(name)).toBeNull()
  })

  test('gzip and deflate are found', () => {
    expect(findRequestCompression('gzip')).toBe(gzip)
    expect(findRequestCompression('deflate')).toBe(deflate)
  })

  test.each(['br', 'zstd', 'snappy', 'GZIP'])('%s is UNIMPLEMENTED and the message lists what is supported', (name) => {
    const error = catchGrpcError(() => findRequestCompression(name))
    expect(error.code).toBe(Status.UNIMPLEMENTED)
    expect(error.message).toBe(`unsupported compression "${name}": supported are gzip, deflate, identity`)
  })
})

describe('negotiateResponseCompression', () => {
  test('without an accept header the request encoding is reused', () => {
    expect(negotiateResponseCompression(undefined, gzip)).toBe(gzip)
    expect(negotiateResponseCompression(undefined, deflate)).toBe(deflate)
    expect(negotiateResponseCompression(undefined, null)).toBeNull()
  })

  test('the first supported encoding in the client list wins', () => {
    expect(negotiateResponseCompression('gzip', null)).toBe(gzip)
    expect(negotiateResponseCompression('br, deflate, gzip', null)).toBe(deflate)
    expect(negotiateResponseCompression(' zstd ,gzip ', deflate)).toBe(gzip)
  })

  test('q-values are ignored, the name counts', () => {
    expect(negotiateResponseCompression('br;q=1.0, gzip;q=0.5', null)).toBe(gzip)
  })

  test('identity is skipped in favour of a real encoding the client also accepts', () => {
    expect(negotiateResponseCompression('identity, gzip', null)).toBe(gzip)
  })

  test('an accept header with nothing we support means identity, even if the request was compressed', () => {
    expect(negotiateResponseCompression('identity', gzip)).toBeNull()
    expect(negotiateResponseCompression('br, zstd', gzip)).toBeNull()
    expect(negotiateResponseCompression('', gzip)).toBeNull()
  })
})
