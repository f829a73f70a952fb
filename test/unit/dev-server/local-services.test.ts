import { GrpcError } from '../../../src/grpc-error.js'
import type { LocalServices } from '../../../src/dev-server/local-services.js'
import { Status } from '../../../src/status.js'
import { createStarter } from '../../dev-server/start.js'
import { http1Call, http2Call } from '../../support/dev-clients.js'
import { frame, readFrames } from '../../support/frames.js'

/** `/t.Echo/Call` replies with the request's bytes reversed; a request of one byte 0xff fails with NOT_FOUND "gone". */
const services: LocalServices = new Map([
  [
    '/t.Echo/Call',
    (request: Uint8Array) => {
      if (request.length === 1 && request[0] === 0xff) throw new GrpcError(Status.NOT_FOUND, 'gone ✗')
      if (request.length === 1 && request[0] === 0xfe) throw new Error('bug')
      return Uint8Array.from(request).reverse()
    },
  ],
])
const { start, closeAll } = createStarter()
afterAll(closeAll)

const grpcHeaders = { ':path': '/t.Echo/Call', 'content-type': 'application/grpc', te: 'trailers' }
const connectHeaders = { ':path': '/t.Echo/Call', 'content-type': 'application/connect+proto' }

describe('serveLocalCall', () => {
  test('gRPC: one reply per request message, then grpc-status 0 in trailers; logged, never invoked', async () => {
    const { server, logs, events } = await start({ localServices: services })
    const reply = await http2Call(
      server.url,
      grpcHeaders,
      Buffer.concat([frame(0, Buffer.from([1, 2, 3])), frame(0, Buffer.from([4, 5]))]),
    )
    expect([reply.headers[':status'], reply.headers['content-type'], reply.headersEndStream]).toEqual([
      200,
      'application/grpc',
      false,
    ])
    expect(reply.body.toString('hex')).toBe('000000000303020100000000020504')
    expect(reply.trailers?.['grpc-status']).toBe('0')
    expect(events).toEqual([])
    expect(logs[0]).toMatch(/^POST \/t\.Echo\/Call grpc HTTP\/2 → grpc-status 0 OK, 2 replies from the dev server /)
  })

  test('gRPC: an error before any reply is Trailers-Only, its message percent-encoded', async () => {
    const { server } = await start({ localServices: services })
    const reply = await http2Call(server.url, grpcHeaders, frame(0, Buffer.from([0xff])))
    expect([
      reply.headersEndStream,
      reply.headers['grpc-status'],
      reply.headers['grpc-message'],
      reply.body.length,
    ]).toEqual([true, '5', 'gone %E2%9C%97', 0])
  })

  test('gRPC: an error after a reply goes in the trailers; another exception is INTERNAL', async () => {
    const { server } = await start({ localServices: services })
    const reply = await http2Call(
      server.url,
      grpcHeaders,
      Buffer.concat([frame(0, Buffer.from([1])), frame(0, Buffer.from([0xfe]))]),
    )
    expect(readFrames(reply.body)).toEqual([{ flags: 0, payload: Buffer.from([1]) }])
    expect([reply.trailers?.['grpc-status'], reply.trailers?.['grpc-message']]).toEqual([
      '13',
      'the dev server failed: bug',
    ])
  })

  test('gRPC: compressed messages are UNIMPLEMENTED; a body ending inside a message is INTERNAL', async () => {
    const { server } = await start({ localServices: services })
    const compressed = await http2Call(server.url, grpcHeaders, frame(1, Buffer.from([1])))
    expect(compressed.headers['grpc-status']).toBe('12')
    const cut = await http2Call(server.url, grpcHeaders, frame(0, Buffer.from([1, 2, 3])).subarray(0, 6))
    expect([cut.headers['grpc-status'], cut.headers['grpc-message']]).toEqual([
      '13',
      'the request ended inside a message',
    ])
  })

  test('Connect streaming: replies, then the end-of-stream message, with the error as Connect JSON', async () => {
    const { server } = await start({ localServices: services })
    const ok = await http2Call(server.url, connectHeaders, frame(0, Buffer.from([1, 2])))
    expect([ok.headers[':status'], ok.headers['content-type']]).toEqual([200, 'application/connect+proto'])
    expect(readFrames(ok.body)).toEqual([
      { flags: 0, payload: Buffer.from([2, 1]) },
      { flags: 2, payload: Buffer.from('{}') },
    ])
    const failed = await http2Call(server.url, connectHeaders, frame(0, Buffer.from([0xff])))
    expect(readFrames(failed.body)).toEqual([
      { flags: 2, payload: Buffer.from('{"error":{"code":"not_found","message":"gone ✗"}}') },
    ])
  })

  test('other paths, other content types and HTTP/1.1 go to the handler', async () => {
    const { server, events } = await start({ localServices: services })
    await http2Call(server.url, { ...grpcHeaders, ':path': '/t.Echo/Other' }, frame(0, Buffer.from([1])))
    await http2Call(
      server.url,
      { ...grpcHeaders, 'content-type': 'application/grpc-web+proto' },
      frame(0, Buffer.from([1])),
    )
    await http1Call(server.url, {
      method: 'POST',
      path: '/t.Echo/Call',
      headers: { 'content-type': 'application/connect+proto' },
      body: frame(0, Buffer.from([1])),
    })
    expect(events).toHaveLength(3)
  })
})
