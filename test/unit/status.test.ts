import {
  Status,
  codeFromHttpStatus,
  codeToHttpStatus,
  connectCodeName,
  isStatusCode,
  statusName,
  type StatusCode,
} from '../../src/status.js'

// [code, gRPC name, Connect name, Connect HTTP status] as in the gRPC and Connect specifications.
const table: [number, string, string, number][] = [
  [0, 'OK', 'ok', 200],
  [1, 'CANCELLED', 'canceled', 499],
  [2, 'UNKNOWN', 'unknown', 500],
  [3, 'INVALID_ARGUMENT', 'invalid_argument', 400],
  [4, 'DEADLINE_EXCEEDED', 'deadline_exceeded', 504],
  [5, 'NOT_FOUND', 'not_found', 404],
  [6, 'ALREADY_EXISTS', 'already_exists', 409],
  [7, 'PERMISSION_DENIED', 'permission_denied', 403],
  [8, 'RESOURCE_EXHAUSTED', 'resource_exhausted', 429],
  [9, 'FAILED_PRECONDITION', 'failed_precondition', 400],
  [10, 'ABORTED', 'aborted', 409],
  [11, 'OUT_OF_RANGE', 'out_of_range', 400],
  [12, 'UNIMPLEMENTED', 'unimplemented', 501],
  [13, 'INTERNAL', 'internal', 500],
  [14, 'UNAVAILABLE', 'unavailable', 503],
  [15, 'DATA_LOSS', 'data_loss', 500],
  [16, 'UNAUTHENTICATED', 'unauthenticated', 401],
]

describe('Status', () => {
  test('has exactly the 17 gRPC codes with their gRPC names', () => {
    expect(Object.entries(Status)).toEqual(table.map(([code, name]) => [name, code]))
  })

  test.each(table)('code %i is named %s, Connect %s, HTTP %i', (code, name, connectName, http) => {
    expect(statusName(code as StatusCode)).toBe(name)
    expect(connectCodeName(code as StatusCode)).toBe(connectName)
    expect(codeToHttpStatus(code as StatusCode)).toBe(http)
  })

  test('Connect spells CANCELLED with one L', () => {
    expect(connectCodeName(Status.CANCELLED)).toBe('canceled')
  })
})

describe('isStatusCode', () => {
  test('accepts the integers 0 to 16', () => {
    for (let code = 0; code <= 16; code++) expect(isStatusCode(code)).toBe(true)
  })

  test.each([-1, 17, 1.5, NaN, Infinity, '5', null, undefined])('rejects %p', (value) => {
    expect(isStatusCode(value)).toBe(false)
  })
})

describe('codeFromHttpStatus (application errors with an HTTP status)', () => {
  test.each([
    [400, Status.INVALID_ARGUMENT],
    [401, Status.UNAUTHENTICATED],
    [403, Status.PERMISSION_DENIED],
    [404, Status.NOT_FOUND],
    [409, Status.ALREADY_EXISTS],
    [412, Status.FAILED_PRECONDITION],
    [429, Status.RESOURCE_EXHAUSTED],
    [499, Status.CANCELLED],
    [500, Status.INTERNAL],
    [501, Status.UNIMPLEMENTED],
    [502, Status.UNAVAILABLE],
    [503, Status.UNAVAILABLE],
    [504, Status.DEADLINE_EXCEEDED],
  ])('HTTP %i is code %i', (http, code) => {
    expect(codeFromHttpStatus(http)).toBe(code)
  })

  test.each([200, 204, 302, 402, 405, 408, 413, 415, 418, 422, 431, 505, 599])('HTTP %i is UNKNOWN', (http) => {
    expect(codeFromHttpStatus(http)).toBe(Status.UNKNOWN)
  })
})
