import { GrpcError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { grpc } from '../../../src/protocol/grpc.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

const message = new Uint8Array([0x0a, 0x02, 0x61, 0x62])
const exchangeFor = (init: Parameters<typeof unitExchange>[0] = {}) =>
  unitExchange({ protocol: grpc, contentType: 'application/grpc', ...init })

describe('grpc', () => {
  test('a unary reply: the message frame, the status in headers named by a trailer header', () => {
    const exchange = exchangeFor()
    exchange.responseTrailer = new Metadata({ 'x-t': '2' })
    const { releaseBody, ...response } = grpc.writeReply(exchange, replyOf(message))
    expect(releaseBody).toBeInstanceOf(Function)
    expect({ ...response, body: [...(response.body as Uint8Array)] }).toEqual({
      status: 200,
      headers: {
        'content-type': 'application/grpc',
        'grpc-accept-encoding': 'gzip, deflate, identity',
        trailer: 'grpc-status, x-t',
        'grpc-status': '0',
        'x-t': '2',
      },
      body: [0, 0, 0, 0, 4, ...message],
    })
  })

  test('an error is Trailers-Only: the status in headers, an empty body', () => {
    const response = grpc.writeError(exchangeFor({ codec: 'json' }), new GrpcError(Status.ABORTED, 'a b'))
    expect(response.headers).toEqual({
      'content-type': 'application/grpc+json',
      'grpc-accept-encoding': 'gzip, deflate, identity',
      'grpc-status': '10',
      'grpc-message': 'a b',
    })
    expect((response.body as Uint8Array).byteLength).toBe(0)
  })

  test('a streamed reply ends with a trailer frame, or (buffered) with status headers', () => {
    const stream = grpc.stream
    if (stream === undefined) throw new Error('grpc streams')
    const exchange = exchangeFor()
    const error = new GrpcError(Status.INTERNAL, 'x')
    const frame = stream.end(exchange, error, false).frame
    const text = 'grpc-status: 13\r\ngrpc-message: x\r\n'
    expect([...(frame ?? [])]).toEqual([0x80, 0, 0, 0, text.length, ...Buffer.from(text)])
    expect(stream.end(exchange, error, true).headers).toEqual({
      trailer: 'grpc-status, grpc-message',
      'grpc-status': '13',
      'grpc-message': 'x',
    })
  })

  test('the request: timeout, the body as it came (any number of envelopes), the grpc-encoding', () => {
    const two = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    const read = grpc.readRequest(
      exchangeFor({ body: two, headers: { 'grpc-encoding': 'gzip', 'grpc-timeout': '5m' } }),
    )
    expect(read.timeoutMs).toBe(5)
    expect(read.body.envelopes).toBe(two)
    expect(read.body.compression?.name).toBe('gzip')
    expect(catchGrpcError(() => grpc.readRequest(exchangeFor({ headers: { 'grpc-encoding': 'foo' } }))).code).toBe(
      Status.UNIMPLEMENTED,
    )
  })
})
