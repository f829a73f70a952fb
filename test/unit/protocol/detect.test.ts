import type { HttpRequest } from '../../../src/event/shape.js'
import { NonRpcResponse, detectProtocol, mediaType } from '../../../src/protocol/detect.js'

const request = (init: Partial<HttpRequest>): HttpRequest => ({
  shape: 'v2',
  method: 'POST',
  path: '/pkg.S/M',
  headers: {},
  headerCount: 0,
  headerBytes: 0,
  query: {},
  body: new Uint8Array(0),
  ...init,
})

function nonRpc(init: Partial<HttpRequest>): NonRpcResponse {
  try {
    detectProtocol(request(init), '/twirp')
  } catch (error) {
    if (error instanceof NonRpcResponse) return error
    throw error
  }
  throw new Error('detected a protocol')
}

describe('detectProtocol', () => {
  test.each([
    ['application/grpc-web', 'grpc-web', 'proto'],
    ['application/grpc-web+json', 'grpc-web', 'json'],
    ['application/grpc-web-text', 'grpc-web-text', 'proto'],
    ['application/grpc', 'grpc', 'proto'],
    ['application/grpc+json', 'grpc', 'json'],
    ['application/proto', 'connect', 'proto'],
    ['application/json; charset=utf-8', 'connect', 'json'],
    ['application/connect+proto', 'connect', 'proto'],
    ['Application/Protobuf', 'twirp', 'proto'],
  ])('%s is %s with the %s codec', (contentType, protocol, codec) => {
    const detected = detectProtocol(request({ headers: { 'content-type': contentType } }), '/twirp')
    expect(detected.protocol.name).toBe(protocol)
    expect(detected.codec).toBe(codec)
  })

  test('a Twirp path makes JSON Twirp', () => {
    const detected = detectProtocol(
      request({ path: '/twirp/pkg.S/M', headers: { 'content-type': 'application/json' } }),
      '/twirp',
    )
    expect(detected).toMatchObject({ codec: 'json', contentType: 'application/json' })
    expect(detected.protocol.name).toBe('twirp')
  })

  test('a Connect GET', () => {
    const detected = detectProtocol(request({ method: 'GET', query: { encoding: 'json', message: '{}' } }), '/twirp')
    expect(detected.protocol.name).toBe('connect')
    expect(detected.contentType).toBe('application/json')
  })

  test('what is not an RPC gets plain HTTP answers', () => {
    expect(nonRpc({ method: 'OPTIONS' }).toHttpResponse()).toEqual({
      status: 204,
      headers: { allow: 'GET, POST, OPTIONS' },
      body: '',
    })
    expect(nonRpc({ method: 'PUT' }).statusCode).toBe(405)
    expect(nonRpc({ method: 'GET' }).statusCode).toBe(405)
    expect(nonRpc({ method: 'GET', query: { encoding: 'xml' } }).statusCode).toBe(415)
    const unsupported = nonRpc({ headers: { 'content-type': 'text/plain' } })
    expect(unsupported.statusCode).toBe(415)
    expect(unsupported.headers['accept-post']).toContain('application/grpc-web')
  })
})

describe('mediaType', () => {
  test.each([
    [undefined, ''],
    ['Application/JSON; charset=utf-8', 'application/json'],
    [' application/grpc ', 'application/grpc'],
  ])('%s -> %s', (header, expected) => {
    expect(mediaType(header)).toBe(expected)
  })
})
