import { parseConnectTimeout, parseGrpcTimeout } from '../../src/timeout.js'
import { Status } from '../../src/status.js'
import { catchGrpcError } from './helpers.js'

describe('parseGrpcTimeout', () => {
  test('absent is undefined (no deadline)', () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined()
  })

  test.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3_000],
    ['250m', 250],
    ['5000u', 5],
    ['1500u', 1.5],
    ['7000000n', 7],
    ['0m', 0],
  ])('%s is %d ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms)
  })

  test('8 digits are allowed', () => {
    expect(parseGrpcTimeout('99999999S')).toBe(99_999_999_000)
    expect(parseGrpcTimeout('00000001m')).toBe(1)
    expect(parseGrpcTimeout('12345678n')).toBeCloseTo(12.345678, 9)
  })

  test.each([
    ['9 digits', '123456789m'],
    ['no unit', '100'],
    ['lower-case s (unit is S)', '10s'],
    ['lower-case h', '1h'],
    ['an unknown unit', '10x'],
    ['a negative value', '-1S'],
    ['a fraction', '1.5S'],
    ['empty', ''],
    ['only a unit', 'S'],
    ['surrounding space', ' 1S'],
    ['two units', '1S1m'],
  ])('%s (%p) is INVALID_ARGUMENT', (_, value) => {
    const error = catchGrpcError(() => parseGrpcTimeout(value))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe(`invalid grpc-timeout "${value}": want 1 to 8 digits and a unit`)
  })
})

describe('parseConnectTimeout', () => {
  test('absent is undefined', () => {
    expect(parseConnectTimeout(undefined)).toBeUndefined()
  })

  test.each([
    ['0', 0],
    ['1', 1],
    ['2500', 2500],
    ['9999999999', 9_999_999_999],
  ])('%s is %d ms', (value, ms) => {
    expect(parseConnectTimeout(value)).toBe(ms)
  })

  test.each(['12345678901', '', '-1', '1.5', '10s', ' 10'])('%p is INVALID_ARGUMENT', (value) => {
    const error = catchGrpcError(() => parseConnectTimeout(value))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe(`invalid connect-timeout-ms "${value}": want 1 to 10 digits`)
  })
})
