import { GrpcError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { connectStream } from '../../../src/protocol/connect-stream.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'

const message = new Uint8Array([0x0a, 0x02, 0x61, 0x62])
const exchangeFor = () => unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
const endFrame = (json: string) => [0x02, 0, 0, 0, Buffer.byteLength(json), ...Buffer.from(json)]

describe('connectStream', () => {
  test('a unary-shaped reply: the message frame, then the end-stream frame {}', () => {
    const response = connectStream.writeReply(exchangeFor(), replyOf(message))
    expect(response.status).toBe(200)
    expect(response.headers).toEqual({
      'content-type': 'application/connect+proto',
      'connect-accept-encoding': 'gzip, deflate',
    })
    expect([...(response.body as Uint8Array)]).toEqual([0, 0, 0, 0, 4, ...message, ...endFrame('{}')])
  })

  test('an error: HTTP 200, the end-stream frame carries it with the trailers', () => {
    const exchange = exchangeFor()
    exchange.responseTrailer = new Metadata({ 'x-t': '2' })
    const response = connectStream.writeError(exchange, new GrpcError(Status.UNAVAILABLE, 'down'))
    expect(response.status).toBe(200)
    expect([...(response.body as Uint8Array)]).toEqual(
      endFrame('{"error":{"code":"unavailable","message":"down"},"metadata":{"x-t":["2"]}}'),
    )
  })

  test('the request: connect- encoding headers, the envelopes as they came', () => {
    const read = connectStream.readRequest({
      ...exchangeFor(),
      http: {
        ...exchangeFor().http,
        headers: { 'connect-content-encoding': 'gzip', 'connect-accept-encoding': 'gzip', 'connect-timeout-ms': '10' },
        body: new Uint8Array([0, 0, 0, 0, 4, ...message]),
      },
    })
    expect(read.timeoutMs).toBe(10)
    expect([...(read.body.envelopes ?? [])]).toEqual([0, 0, 0, 0, 4, ...message])
    expect(read.body.compression?.name).toBe('gzip')
    expect(read.responseCompression?.name).toBe('gzip')
  })
})
