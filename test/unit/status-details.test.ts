import { decodeStatusDetails, encodeStatusDetails } from '../../src/status-details.js'
import { hex } from './helpers.js'

const typeUrl = 'type.googleapis.com/test.v1.ErrorInfo' // 37 bytes = 0x25

// google.rpc.Status { code: 5, message: "x", details: [Any { type_url, value: 0a 01 41 }] }
const withDetail = Uint8Array.from([
  ...hex('08 05'), // code = 5
  ...hex('12 01 78'), // message = "x"
  ...hex('1a 2c'), // details[0], 44 bytes
  ...hex('0a 25'), // Any.type_url, 37 bytes
  ...Buffer.from(typeUrl, 'ascii'),
  ...hex('12 03 0a 01 41'), // Any.value, 3 bytes
])

describe('encodeStatusDetails', () => {
  test('{ code: 5, message: "x", details: [] } is 08 05 12 01 78', () => {
    expect([...encodeStatusDetails({ code: 5, message: 'x', details: [] })]).toEqual([0x08, 0x05, 0x12, 0x01, 0x78])
  })

  test('a detail becomes an Any with the type.googleapis.com/ prefix', () => {
    const bytes = encodeStatusDetails({
      code: 5,
      message: 'x',
      details: [{ type: 'test.v1.ErrorInfo', value: Uint8Array.from([0x0a, 0x01, 0x41]) }],
    })
    expect([...bytes]).toEqual([...withDetail])
  })

  test('an empty message round-trips as empty', () => {
    const decoded = decodeStatusDetails(encodeStatusDetails({ code: 13, message: '', details: [] }))
    expect(decoded).toEqual({ code: 13, message: '', details: [] })
  })

  test('a UTF-8 message is length-prefixed in bytes, not characters', () => {
    // "☺" is e2 98 ba
    expect([...encodeStatusDetails({ code: 3, message: '☺', details: [] })]).toEqual([
      0x08, 0x03, 0x12, 0x03, 0xe2, 0x98, 0xba,
    ])
  })
})

describe('decodeStatusDetails', () => {
  test('08 05 12 01 78 is { code: 5, message: "x", details: [] }', () => {
    expect(decodeStatusDetails(Uint8Array.from([0x08, 0x05, 0x12, 0x01, 0x78]))).toEqual({
      code: 5,
      message: 'x',
      details: [],
    })
  })

  test('the Any type URL is cut after its last slash', () => {
    const decoded = decodeStatusDetails(withDetail)
    expect(decoded.code).toBe(5)
    expect(decoded.message).toBe('x')
    expect(decoded.details).toHaveLength(1)
    expect(decoded.details[0].type).toBe('test.v1.ErrorInfo')
    expect([...decoded.details[0].value]).toEqual([0x0a, 0x01, 0x41])
  })

  test('an empty buffer is OK with no message', () => {
    expect(decodeStatusDetails(new Uint8Array(0))).toEqual({ code: 0, message: '', details: [] })
  })
})
