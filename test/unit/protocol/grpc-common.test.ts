import { GrpcError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { grpcReplyContentType, grpcResponseHeaders, grpcTrailerFields } from '../../../src/protocol/grpc-common.js'
import { Status } from '../../../src/status.js'
import { unitExchange } from '../exchange.js'

describe('grpcTrailerFields', () => {
  test('OK alone, or the status, the percent-encoded message, trailers and the error metadata in order', () => {
    expect(grpcTrailerFields(unitExchange({}))).toEqual({ 'grpc-status': '0' })
    const exchange = unitExchange({})
    exchange.responseTrailer = new Metadata({ 'x-t': '1' })
    const error = new GrpcError(Status.NOT_FOUND, '100% ☺', { metadata: { 'x-t': '2', 'x-e': '3' } })
    expect(Object.entries(grpcTrailerFields(exchange, error))).toEqual([
      ['grpc-status', '5'],
      ['grpc-message', '100%25 %E2%98%BA'],
      ['x-t', '1, 2'],
      ['x-e', '3'],
    ])
  })

  test('details travel as grpc-status-details-bin', () => {
    const error = new GrpcError(Status.INTERNAL, 'x', { details: [{ type: 'a.B', value: new Uint8Array([1]) }] })
    expect(grpcTrailerFields(unitExchange({}), error)['grpc-status-details-bin']).toMatch(/^[A-Za-z0-9+/]+$/)
  })
})

describe('grpcResponseHeaders and grpcReplyContentType', () => {
  test("the request's content-type when it named no codec, else +proto or +json", () => {
    expect(grpcReplyContentType(unitExchange({ contentType: 'application/grpc' }), 'application/grpc')).toBe(
      'application/grpc',
    )
    expect(grpcReplyContentType(unitExchange({ contentType: 'application/grpc+proto' }), 'application/grpc')).toBe(
      'application/grpc+proto',
    )
    expect(grpcReplyContentType(unitExchange({ codec: 'json' }), 'application/grpc-web')).toBe(
      'application/grpc-web+json',
    )
  })

  test('encodings, then the handler headers', () => {
    const exchange = unitExchange({})
    exchange.responseHeader = new Metadata({ 'x-h': '1' })
    expect(grpcResponseHeaders(exchange, 'application/grpc', false)).toEqual({
      'content-type': 'application/grpc',
      'grpc-accept-encoding': 'gzip, deflate, identity',
      'x-h': '1',
    })
  })
})
