import { gunzipSync } from 'node:zlib'
import { gzip } from '../../../src/compression.js'
import { GrpcError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { decodeGrpcWebText, grpcWeb, grpcWebText } from '../../../src/protocol/grpc-web.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

const ascii = (text: string) => [...Buffer.from(text, 'latin1')]

describe('decodeGrpcWebText', () => {
  const text = (value: string) => decodeGrpcWebText(Buffer.from(value, 'latin1'))

  test('a single base64 chunk', () => {
    expect([...text('AAAAAAQKAmhp')]).toEqual([0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x68, 0x69])
  })

  test('several separately padded chunks are concatenated', () => {
    // AAAAAAIIAQ== is 00 00 00 00 02 08 01; gAAAAAA= is 80 00 00 00 00
    expect([...text('AAAAAAIIAQ==gAAAAAA=')]).toEqual([
      0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01, 0x80, 0x00, 0x00, 0x00, 0x00,
    ])
  })

  test('three chunks, the middle one unpadded', () => {
    // AAAAAAEI is 00 00 00 00 01 08 (six bytes, no padding)
    expect([...text('gAAAAAA=AAAAAAEIAAAAAAIIAQ==')]).toEqual([
      0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01,
    ])
  })

  test('whitespace and line breaks are ignored', () => {
    expect([...text(' AAAA AAQK\r\nAmhp\n')]).toEqual([0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x68, 0x69])
  })

  test('a final chunk without its padding is accepted', () => {
    expect([...text('AAAAAAIIAQ')]).toEqual([0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x01])
  })

  test('an empty body is empty', () => {
    expect(text('').byteLength).toBe(0)
  })

  test.each([
    ['a character outside the alphabet', 'AAAA*AQK'],
    ['URL-safe base64', 'AAAA-_QK'],
    ['a chunk of 4n+1 characters', 'AAAAA'],
    ['padding at the start', '=AAA'],
    ['three padding characters', 'AA==='],
    ['binary bytes', '\u0000\u0001\u0002\u0003'],
  ])('%s is INVALID_ARGUMENT', (_, value) => {
    const error = catchGrpcError(() => text(value))
    expect(error.code).toBe(Status.INVALID_ARGUMENT)
    expect(error.message).toBe('protocol error: gRPC-Web text body is not valid base64')
  })
})

describe('grpcWeb and grpcWebText replies', () => {
  const message = new Uint8Array([0x0a, 0x02, 0x61, 0x62])
  const okTrailer = [0x80, 0, 0, 0, 0x10, ...ascii('grpc-status: 0\r\n')]

  test('a unary reply is the message frame then the trailer frame, in one body', () => {
    const reply = replyOf(message)
    const response = grpcWeb.writeReply(unitExchange({}), reply)
    expect(response.status).toBe(200)
    expect(response.headers).toEqual({
      'content-type': 'application/grpc-web+proto',
      'grpc-accept-encoding': 'gzip, deflate, identity',
    })
    expect([...(response.body as Uint8Array)]).toEqual([0, 0, 0, 0, 4, ...message, ...okTrailer])
    // The body is the codec's memory (built in place), handed back by whoever writes it out.
    expect(reply.released).toBe(0)
    response.releaseBody?.()
    expect(reply.released).toBe(1)
  })

  test("the handler's headers and trailers, and the request's own content-type when it named no codec", () => {
    const exchange = unitExchange({ contentType: 'application/grpc-web' })
    exchange.responseHeader = new Metadata({ 'x-h': '1' })
    exchange.responseTrailer = new Metadata({ 'x-t': '2' })
    const response = grpcWeb.writeReply(exchange, replyOf(message))
    expect(response.headers['content-type']).toBe('application/grpc-web')
    expect(response.headers['x-h']).toBe('1')
    const trailer = 'grpc-status: 0\r\nx-t: 2\r\n'
    expect([...(response.body as Uint8Array)]).toEqual([
      ...[0, 0, 0, 0, 4, ...message],
      ...[0x80, 0, 0, 0, trailer.length, ...ascii(trailer)],
    ])
  })

  test('compressed when negotiated and at least compressMinBytes: flag 1, grpc-encoding', () => {
    const exchange = unitExchange({ options: { compressMinBytes: 4 } })
    exchange.responseCompression = gzip
    const response = grpcWeb.writeReply(exchange, replyOf(message))
    expect(response.headers['grpc-encoding']).toBe('gzip')
    const body = response.body as Uint8Array
    const length = Buffer.from(body).readUInt32BE(1)
    expect(body[0]).toBe(1)
    expect([...gunzipSync(body.subarray(5, 5 + length))]).toEqual([...message])
    expect([...body.subarray(5 + length)]).toEqual(okTrailer)
  })

  test('an error is a body holding only the trailer frame', () => {
    const response = grpcWeb.writeError(unitExchange({}), new GrpcError(Status.NOT_FOUND, 'no ☺'))
    const trailer = 'grpc-status: 5\r\ngrpc-message: no %E2%98%BA\r\n'
    expect(response.status).toBe(200)
    expect([...(response.body as Uint8Array)]).toEqual([0x80, 0, 0, 0, trailer.length, ...ascii(trailer)])
  })

  test('text: the same bytes in one base64 pass, and its own content-type', () => {
    const reply = replyOf(message)
    const response = grpcWebText.writeReply(unitExchange({ protocol: grpcWebText }), reply)
    expect(response.headers['content-type']).toBe('application/grpc-web-text+proto')
    expect([...Buffer.from(response.body as string, 'base64')]).toEqual([0, 0, 0, 0, 4, ...message, ...okTrailer])
    // The frames are text now: the codec's memory went back at once.
    expect(reply.released).toBe(1)
    expect(response.releaseBody).toBeUndefined()
  })

  test('the request: timeout, the envelopes as they came, compression negotiated', () => {
    const exchange = unitExchange({
      headers: { 'grpc-timeout': '2S', 'grpc-accept-encoding': 'deflate' },
      body: new Uint8Array([0, 0, 0, 0, 4, ...message]),
    })
    const read = grpcWeb.readRequest(exchange)
    expect(read.timeoutMs).toBe(2000)
    expect([...(read.body.envelopes ?? [])]).toEqual([0, 0, 0, 0, 4, ...message])
    expect(read.body.compression).toBeNull()
    expect(read.responseCompression?.name).toBe('deflate')
  })

  test('a stream: head, one frame per message, the trailer frame at the end', () => {
    const stream = grpcWeb.stream
    if (stream === undefined) throw new Error('grpcWeb streams')
    const exchange = unitExchange({})
    expect(stream.head(exchange).headers['content-type']).toBe('application/grpc-web+proto')
    expect([...stream.frame(exchange, message)]).toEqual([0, 0, 0, 0, 4, ...message])
    expect([...(stream.end(exchange, undefined, false).frame ?? [])]).toEqual(okTrailer)
  })
})
