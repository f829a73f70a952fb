import { GrpcError } from '../../../src/grpc-error.js'
import { checkProtocolVersion, connectErrorJson, readConnectHeaders } from '../../../src/protocol/connect-common.js'
import { Status } from '../../../src/status.js'
import { unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

describe('readConnectHeaders', () => {
  test('timeout and the encodings from the header names given (unary or streaming)', () => {
    const exchange = unitExchange({
      headers: { 'connect-timeout-ms': '25', 'connect-content-encoding': 'gzip', 'connect-accept-encoding': 'deflate' },
    })
    const read = readConnectHeaders(exchange, 'connect-content-encoding', 'connect-accept-encoding')
    expect(read.timeoutMs).toBe(25)
    expect(read.requestCompression?.name).toBe('gzip')
    expect(read.responseCompression?.name).toBe('deflate')
  })

  test('the protocol version is required only when asked for', () => {
    const lax = unitExchange({})
    expect(readConnectHeaders(lax, 'content-encoding', 'accept-encoding').timeoutMs).toBeUndefined()
    const strict = unitExchange({ options: { requireConnectProtocolHeader: true } })
    expect(catchGrpcError(() => readConnectHeaders(strict, 'content-encoding', 'accept-encoding')).message).toBe(
      'missing connect-protocol-version',
    )
  })
})

describe('checkProtocolVersion', () => {
  test('a wrong version is INVALID_ARGUMENT even when not required', () => {
    const error = catchGrpcError(() => checkProtocolVersion('v2', 'v1', false, 'query parameter connect'))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe('unsupported query parameter connect "v2": want "v1"')
  })
})

describe('connectErrorJson', () => {
  test('no message key when empty; details as unpadded base64', () => {
    expect(connectErrorJson(new GrpcError(Status.CANCELLED))).toEqual({ code: 'canceled' })
    const detailed = new GrpcError(Status.INTERNAL, 'x', { details: [{ type: 'a.B', value: new Uint8Array([1]) }] })
    expect(connectErrorJson(detailed)).toEqual({
      code: 'internal',
      message: 'x',
      details: [{ type: 'a.B', value: 'AQ' }],
    })
  })
})
