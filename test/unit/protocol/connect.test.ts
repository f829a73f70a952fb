import { gunzipSync, gzipSync } from 'node:zlib'
import { gzip } from '../../../src/compression.js'
import { GrpcError, RouteNotFoundError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { connect } from '../../../src/protocol/connect.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

const message = new Uint8Array([0x0a, 0x02, 0x61, 0x62])
const exchangeFor = (init: Parameters<typeof unitExchange>[0] = {}) =>
  unitExchange({ protocol: connect, contentType: 'application/proto', ...init })

describe('connect (unary)', () => {
  test('a reply is the bare message; header metadata as headers, trailers as trailer- headers', () => {
    const exchange = exchangeFor()
    exchange.responseHeader = new Metadata({ 'x-h': '1' })
    exchange.responseTrailer = new Metadata({ 'x-t': '2' })
    const reply = replyOf(message)
    const { releaseBody, ...response } = connect.writeReply(exchange, reply)
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/proto', 'x-h': '1', 'trailer-x-t': '2' },
      body: message,
    })
    // The body is the encoder's memory, handed back once it has been written out.
    expect(reply.released).toBe(0)
    releaseBody?.()
    expect(reply.released).toBe(1)
  })

  test('a GET reply varies by Accept-Encoding; a large one is compressed', () => {
    const exchange = exchangeFor({ method: 'GET', options: { compressMinBytes: 4 } })
    exchange.responseCompression = gzip
    const reply = replyOf(message)
    const response = connect.writeReply(exchange, reply)
    expect(response.headers).toEqual({
      'content-type': 'application/proto',
      vary: 'Accept-Encoding',
      'content-encoding': 'gzip',
    })
    expect([...gunzipSync(response.body as Uint8Array)]).toEqual([...message])
    // Compressed bytes are new: the message's memory went back at once.
    expect(reply.released).toBe(1)
    expect(response.releaseBody).toBeUndefined()
  })

  test('an error is JSON with the HTTP status of its code; an unknown route is 404', () => {
    const error = connect.writeError(exchangeFor(), new GrpcError(Status.NOT_FOUND, 'gone'))
    expect(error).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: '{"code":"not_found","message":"gone"}',
    })
    const unimplemented = connect.writeError(exchangeFor(), new GrpcError(Status.UNIMPLEMENTED, ''))
    expect(unimplemented.status).toBe(501)
    expect(unimplemented.headers['accept-encoding']).toBe('gzip, deflate')
    expect(unimplemented.body).toBe('{"code":"unimplemented"}')
    expect(connect.writeError(exchangeFor(), new RouteNotFoundError('unknown method /x/y')).status).toBe(404)
  })

  test('POST: version, timeout, compression, the message within readMaxBytes', () => {
    const read = connect.readRequest(
      exchangeFor({
        headers: {
          'connect-protocol-version': '1',
          'connect-timeout-ms': '1500',
          'content-encoding': 'gzip',
          'accept-encoding': 'gzip',
        },
        body: gzipSync(message),
      }),
    )
    expect(read.timeoutMs).toBe(1500)
    expect([...(read.body.message ?? [])]).toEqual([...message])
    expect(read.responseCompression?.name).toBe('gzip')
    const tooLarge = catchGrpcError(() =>
      connect.readRequest(exchangeFor({ body: message, options: { readMaxBytes: 3 } })),
    )
    expect(tooLarge.code).toBe(Status.RESOURCE_EXHAUSTED)
    expect(tooLarge.message).toBe('message size 4 is larger than the limit 3')
    const version = catchGrpcError(() =>
      connect.readRequest(exchangeFor({ headers: { 'connect-protocol-version': '2' } })),
    )
    expect(version.message).toBe('unsupported connect-protocol-version "2": want "1"')
  })

  test('GET: the message from the query, base64url or not', () => {
    const base64 = connect.readRequest(
      exchangeFor({ method: 'GET', query: { encoding: 'proto', base64: '1', message: 'CgJhYg' } }),
    )
    expect([...(base64.body.message ?? [])]).toEqual([...message])
    const missing = catchGrpcError(() =>
      connect.readRequest(exchangeFor({ method: 'GET', query: { encoding: 'proto' } })),
    )
    expect(missing.message).toBe('missing query parameter message')
    const bad = catchGrpcError(() =>
      connect.readRequest(exchangeFor({ method: 'GET', query: { encoding: 'proto', base64: '1', message: 'a+b' } })),
    )
    expect(bad.message).toBe('query parameter message is not URL-safe base64')
  })
})
