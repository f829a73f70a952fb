import { encodeEnvelope } from '../../src/envelope.js'
import { encodeTrailerFrame } from '../../src/protocol/trailer.js'
import {
  TrailerFrameSplitter,
  isGrpcResponse,
  moveToTrailers,
  withoutTrailerHeader,
} from '../../src/dev-server/grpc-trailers.js'

test('isGrpcResponse: application/grpc and its +codec forms, not gRPC-Web', () => {
  const of = (type: string) => isGrpcResponse([['Content-Type', type]])
  expect([of('application/grpc'), of('application/grpc+proto'), of('Application/GRPC+json; charset=utf-8')]).toEqual([
    true,
    true,
    true,
  ])
  expect([of('application/grpc-web'), of('application/grpc-web-text+proto'), of('application/json')]).toEqual([
    false,
    false,
    false,
  ])
})

describe('moveToTrailers (a buffered reply)', () => {
  const headers = (): [string, string][] => [
    ['content-type', 'application/grpc'],
    ['trailer', 'grpc-status, grpc-message, x-t'],
    ['grpc-status', '5'],
    ['grpc-message', 'gone'],
    ['x-t', 'tv'],
    ['x-h', 'hv'],
  ]

  test('the fields named by `trailer`, and the status fields, become trailers; `trailer` goes', () => {
    const reply = { headers: headers(), body: encodeEnvelope(0, new Uint8Array([1])), trailers: [] }
    moveToTrailers(reply)
    expect(reply.headers).toEqual([
      ['content-type', 'application/grpc'],
      ['x-h', 'hv'],
    ])
    expect(reply.trailers).toEqual([
      ['grpc-status', '5'],
      ['grpc-message', 'gone'],
      ['x-t', 'tv'],
    ])
  })

  test('Trailers-Only (no body): everything stays in the headers, without `trailer`', () => {
    const reply = { headers: headers(), body: new Uint8Array(0), trailers: [] }
    moveToTrailers(reply)
    expect(reply.headers).toEqual(headers().filter(([name]) => name !== 'trailer'))
    expect(reply.trailers).toEqual([])
  })

  test('withoutTrailerHeader', () => {
    expect(withoutTrailerHeader(headers()).map(([name]) => name)).not.toContain('trailer')
  })
})

test('TrailerFrameSplitter: frames across chunk boundaries, the trailer block kept as fields', () => {
  const message = encodeEnvelope(0, new Uint8Array([0x0a, 0x01, 0x61]))
  const trailer = encodeTrailerFrame({ 'grpc-status': '0', 'x-count': '2' })
  const body = Buffer.concat([message, message, trailer])
  const splitter = new TrailerFrameSplitter()
  const frames = [
    ...splitter.push(body.subarray(0, 3)),
    ...splitter.push(body.subarray(3, 12)),
    ...splitter.push(body.subarray(12)),
  ]
  expect(frames.map((frame) => [frame.flags, Buffer.from(frame.bytes).toString('hex')])).toEqual([
    [0, '00000000030a0161'],
    [0, '00000000030a0161'],
    [0x80, Buffer.from(trailer).toString('hex')],
  ])
  expect(splitter.trailers).toEqual([
    ['grpc-status', '0'],
    ['x-count', '2'],
  ])
})
