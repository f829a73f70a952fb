import {
  Metadata,
  decodeBinaryHeader,
  decodeGrpcMessage,
  encodeBinaryHeader,
  encodeGrpcMessage,
  isReservedHeader,
  unpadBinaryHeader,
} from '../../src/metadata.js'

describe('Metadata', () => {
  test('names are case-insensitive and come out lower-case', () => {
    const metadata = new Metadata()
    metadata.set('X-Request-ID', 'abc')
    expect(metadata.get('x-request-id')).toBe('abc')
    expect(metadata.get('X-REQUEST-ID')).toBe('abc')
    expect(metadata.has('x-Request-Id')).toBe(true)
    expect([...metadata.keys()]).toEqual(['x-request-id'])
  })

  test('append keeps every value; get joins them with ", "; getAll returns them apart', () => {
    const metadata = new Metadata()
    metadata.append('x-tag', 'a')
    metadata.append('X-Tag', 'b,c')
    expect(metadata.get('x-tag')).toBe('a, b,c')
    expect(metadata.getAll('x-tag')).toEqual(['a', 'b,c'])
  })

  test('set replaces all values; delete removes the name', () => {
    const metadata = new Metadata([
      ['x-a', '1'],
      ['x-a', '2'],
    ])
    metadata.set('X-A', '3')
    expect(metadata.getAll('x-a')).toEqual(['3'])
    metadata.delete('x-A')
    expect(metadata.has('x-a')).toBe(false)
    expect(metadata.size).toBe(0)
  })

  test('a missing name gives null and an empty list', () => {
    const metadata = new Metadata()
    expect(metadata.get('nope')).toBeNull()
    expect(metadata.getAll('nope')).toEqual([])
  })

  test('getAll returns a copy', () => {
    const metadata = new Metadata({ 'x-a': '1' })
    metadata.getAll('x-a').push('2')
    expect(metadata.get('x-a')).toBe('1')
  })

  test('iterates in the order names were first added, values joined', () => {
    const metadata = new Metadata()
    metadata.append('Zeta', '1')
    metadata.append('alpha', '2')
    metadata.append('zeta', '3')
    metadata.set('Mid', '4')
    expect([...metadata]).toEqual([
      ['zeta', '1, 3'],
      ['alpha', '2'],
      ['mid', '4'],
    ])
    expect([...metadata.entries()]).toEqual([...metadata])
    expect([...metadata.keys()]).toEqual(['zeta', 'alpha', 'mid'])
    expect([...metadata.values()]).toEqual(['1, 3', '2', '4'])
    expect(metadata.size).toBe(3)
  })

  test('set on an existing name keeps its place; delete then append moves it last', () => {
    const metadata = new Metadata([
      ['a', '1'],
      ['b', '2'],
    ])
    metadata.set('a', '9')
    expect([...metadata.keys()]).toEqual(['a', 'b'])
    metadata.delete('a')
    metadata.append('a', '1')
    expect([...metadata.keys()]).toEqual(['b', 'a'])
  })

  test('forEach passes value, name and the metadata itself', () => {
    const metadata = new Metadata({ 'X-One': '1', 'x-two': ['2', '3'] })
    const seen: [string, string, boolean][] = []
    metadata.forEach((value, name, self) => {
      seen.push([value, name, self === metadata])
    })
    expect(seen).toEqual([
      ['1', 'x-one', true],
      ['2, 3', 'x-two', true],
    ])
  })

  test('init from a record: strings, arrays, undefined skipped', () => {
    const metadata = new Metadata({ 'X-Single': 'v', 'x-many': ['a', 'b'], 'x-none': undefined, 'x-empty': [] })
    expect(metadata.get('x-single')).toBe('v')
    expect(metadata.getAll('x-many')).toEqual(['a', 'b'])
    expect(metadata.has('x-none')).toBe(false)
    expect(metadata.has('x-empty')).toBe(false)
    expect(metadata.size).toBe(2)
  })

  test('init from an array of pairs: repeated names accumulate', () => {
    const metadata = new Metadata([
      ['X-A', '1'],
      ['x-b', '2'],
      ['x-a', '3'],
    ])
    expect(metadata.getAll('x-a')).toEqual(['1', '3'])
    expect([...metadata]).toEqual([
      ['x-a', '1, 3'],
      ['x-b', '2'],
    ])
  })

  test('init from another Metadata copies it (independently)', () => {
    const original = new Metadata([
      ['x-a', '1'],
      ['x-a', '2'],
      ['x-b', '3'],
    ])
    const copy = new Metadata(original)
    expect([...copy]).toEqual([
      ['x-a', '1, 2'],
      ['x-b', '3'],
    ])
    copy.set('x-b', 'changed')
    expect(original.get('x-b')).toBe('3')
  })

  test('init from a Map works as an iterable of pairs', () => {
    const metadata = new Metadata(new Map([['X-M', 'v']]))
    expect(metadata.get('x-m')).toBe('v')
  })
})

describe('-bin metadata values', () => {
  test('encodeBinaryHeader emits unpadded standard base64', () => {
    expect(encodeBinaryHeader(Uint8Array.from([0x01, 0x02, 0x03, 0x04]))).toBe('AQIDBA')
    expect(encodeBinaryHeader(Uint8Array.from([0xff, 0xfe]))).toBe('//4')
    expect(encodeBinaryHeader(Uint8Array.from([0xfb, 0xff, 0xbf]))).toBe('+/+/')
    expect(encodeBinaryHeader(Uint8Array.from([0x00, 0x00, 0x00]))).toBe('AAAA')
    expect(encodeBinaryHeader(new Uint8Array(0))).toBe('')
  })

  test('encodeBinaryHeader encodes only the view, not its whole buffer', () => {
    const buffer = Uint8Array.from([0xaa, 0x01, 0x02, 0xbb])
    expect(encodeBinaryHeader(buffer.subarray(1, 3))).toBe('AQI')
  })

  test('decodeBinaryHeader accepts padded and unpadded base64', () => {
    expect([...decodeBinaryHeader('AQIDBA==')]).toEqual([0x01, 0x02, 0x03, 0x04])
    expect([...decodeBinaryHeader('AQIDBA')]).toEqual([0x01, 0x02, 0x03, 0x04])
    expect([...decodeBinaryHeader('//4=')]).toEqual([0xff, 0xfe])
    expect([...decodeBinaryHeader('//4')]).toEqual([0xff, 0xfe])
  })

  test('decodeBinaryHeader concatenates comma-joined values, padded or not', () => {
    expect([...decodeBinaryHeader('AQ==, Ag')]).toEqual([0x01, 0x02])
    expect([...decodeBinaryHeader('AQ,Ag==,AwQ')]).toEqual([0x01, 0x02, 0x03, 0x04])
  })

  test('unpadBinaryHeader strips padding from every comma-separated part', () => {
    expect(unpadBinaryHeader('AQIDBA==')).toBe('AQIDBA')
    expect(unpadBinaryHeader('AQ==, Ag==')).toBe('AQ, Ag')
    expect(unpadBinaryHeader('AQ==,Ag,AwQ=')).toBe('AQ,Ag,AwQ')
    expect(unpadBinaryHeader('AQIDBA')).toBe('AQIDBA')
  })
})

describe('grpc-message percent-encoding', () => {
  const conformanceMessage = '\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\n'
  const conformanceEncoded = '%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%0A'

  test('the conformance suite unicode message encodes byte for byte', () => {
    expect(encodeGrpcMessage(conformanceMessage)).toBe(conformanceEncoded)
  })

  test('and decodes back', () => {
    expect(decodeGrpcMessage(conformanceEncoded)).toBe(conformanceMessage)
  })

  test('printable ASCII other than % passes through unchanged', () => {
    const printable = ' !"#$&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'
    expect(encodeGrpcMessage(printable)).toBe(printable)
  })

  test('% is encoded as %25, control characters and DEL as %XX', () => {
    expect(encodeGrpcMessage('100%')).toBe('100%25')
    expect(encodeGrpcMessage('a\tb\x7fc\x00')).toBe('a%09b%7Fc%00')
    expect(encodeGrpcMessage('é')).toBe('%C3%A9')
  })

  test('decodes lower-case hex escapes', () => {
    expect(decodeGrpcMessage('%e2%98%ba %25')).toBe('☺ %')
  })

  test('keeps malformed escapes as they are instead of failing', () => {
    expect(decodeGrpcMessage('50%')).toBe('50%')
    expect(decodeGrpcMessage('%zz and %4')).toBe('%zz and %4')
    expect(decodeGrpcMessage('%%41')).toBe('%A')
    expect(decodeGrpcMessage('ok %41%')).toBe('ok A%')
  })

  test('an escape that is not valid UTF-8 decodes to U+FFFD', () => {
    expect(decodeGrpcMessage('bad %FF byte')).toBe('bad \uFFFD byte')
  })

  test('a message without % is returned as it is (non-ASCII included)', () => {
    expect(decodeGrpcMessage('plain ☺')).toBe('plain ☺')
  })
})

describe('isReservedHeader', () => {
  test.each([
    'content-type',
    'content-length',
    'content-encoding',
    'accept-encoding',
    'transfer-encoding',
    'connection',
    'host',
    'te',
    'trailer',
    'user-agent',
    'date',
    'vary',
    'grpc-status',
    'grpc-message',
    'grpc-status-details-bin',
    'grpc-encoding',
    'grpc-accept-encoding',
    'grpc-timeout',
    'connect-protocol-version',
    'connect-timeout-ms',
    'trailer-x-custom',
    'access-control-allow-origin',
  ])('%s is reserved', (name) => {
    expect(isReservedHeader(name)).toBe(true)
  })

  test.each([
    'x-custom',
    'x-custom-bin',
    'authorization',
    'cookie',
    'set-cookie',
    'cache-control',
    'x-grpc-web',
    'trailers',
  ])('%s is not reserved', (name) => {
    expect(isReservedHeader(name)).toBe(false)
  })
})
