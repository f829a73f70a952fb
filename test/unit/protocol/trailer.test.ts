import { encodeTrailerFrame, parseTrailerBlock } from '../../../src/protocol/trailer.js'

const ascii = (text: string) => [...Buffer.from(text, 'latin1')]

describe('encodeTrailerFrame', () => {
  test('grpc-status: 0 is flag 0x80, length 0x10, then the CRLF-terminated line', () => {
    expect([...encodeTrailerFrame({ 'grpc-status': '0' })]).toEqual([
      0x80,
      0x00,
      0x00,
      0x00,
      0x10,
      ...ascii('grpc-status: 0\r\n'),
    ])
  })

  test('fields keep their order, every line ends in CRLF, no blank line at the end', () => {
    const frame = encodeTrailerFrame({ 'grpc-status': '5', 'grpc-message': 'no such user', 'x-failed': 'yes' })
    const text = 'grpc-status: 5\r\ngrpc-message: no such user\r\nx-failed: yes\r\n' // 16 + 28 + 15 = 59 = 0x3b
    expect([...frame]).toEqual([0x80, 0x00, 0x00, 0x00, 0x3b, ...ascii(text)])
  })

  test('the length counts UTF-8 bytes', () => {
    // "x: é\r\n" is 78 3a 20 c3 a9 0d 0a, 7 bytes
    expect([...encodeTrailerFrame({ x: 'é' })]).toEqual([
      0x80, 0x00, 0x00, 0x00, 0x07, 0x78, 0x3a, 0x20, 0xc3, 0xa9, 0x0d, 0x0a,
    ])
  })

  test('a long block uses the higher length bytes (300 = 00 00 01 2c)', () => {
    const value = 'v'.repeat(300 - 'x-long: \r\n'.length)
    const frame = encodeTrailerFrame({ 'x-long': value })
    expect([...frame.subarray(0, 5)]).toEqual([0x80, 0x00, 0x00, 0x01, 0x2c])
    expect(frame.byteLength).toBe(305)
  })

  test('no fields is an empty trailer frame', () => {
    expect([...encodeTrailerFrame({})]).toEqual([0x80, 0x00, 0x00, 0x00, 0x00])
  })
})

describe('parseTrailerBlock', () => {
  test('names lower-cased, values trimmed, order kept, lines without a name skipped', () => {
    const block = Buffer.from('Grpc-Status: 5\r\ngrpc-message:  no such user \r\n: orphan\r\nx-a: 1\r\nx-a: 2\r\n')
    expect(parseTrailerBlock(block)).toEqual([
      ['grpc-status', '5'],
      ['grpc-message', 'no such user'],
      ['x-a', '1'],
      ['x-a', '2'],
    ])
  })

  test('what encodeTrailerFrame writes, read back', () => {
    const frame = encodeTrailerFrame({ 'grpc-status': '0', 'x-t': 'é' })
    expect(parseTrailerBlock(frame.subarray(5))).toEqual([
      ['grpc-status', '0'],
      ['x-t', 'é'],
    ])
  })
})
