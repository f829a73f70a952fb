import { GrpcError, MalformedMessageError, RouteNotFoundError } from '../../../src/grpc-error.js'
import { Metadata } from '../../../src/metadata.js'
import { isTwirpPath, twirp } from '../../../src/protocol/twirp.js'
import { Status } from '../../../src/status.js'
import { replyOf, unitExchange } from '../exchange.js'
import { catchGrpcError } from '../helpers.js'

const exchangeFor = (init: Parameters<typeof unitExchange>[0] = {}) =>
  unitExchange({ protocol: twirp, contentType: 'application/protobuf', path: '/twirp/unit.v1.Items/Get', ...init })

describe('twirp', () => {
  test('a reply is the bare message; metadata and trailers go out as headers', () => {
    const exchange = exchangeFor()
    exchange.responseHeader = new Metadata({ 'x-h': '1' })
    exchange.responseTrailer = new Metadata({ 'x-t': '2' })
    const body = new Uint8Array([1, 2])
    const { releaseBody, ...response } = twirp.writeReply(exchange, replyOf(body))
    expect(releaseBody).toBeInstanceOf(Function)
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/protobuf', 'x-h': '1', 'x-t': '2' },
      body,
    })
  })

  test('JSON replies use the .proto names unless twirpLowerCamelJson', () => {
    expect(twirp.jsonProtoNames?.(exchangeFor().options)).toBe(true)
    expect(twirp.jsonProtoNames?.(exchangeFor({ options: { twirpLowerCamelJson: true } }).options)).toBe(false)
  })

  test("errors: Twirp's code and HTTP status, bad_route and malformed by the error's class", () => {
    const plain = twirp.writeError(
      exchangeFor(),
      new GrpcError(Status.DEADLINE_EXCEEDED, 'late', { metadata: { k: 'v' } }),
    )
    expect(plain).toEqual({
      status: 408,
      headers: { 'content-type': 'application/json' },
      body: '{"code":"deadline_exceeded","msg":"late","meta":{"k":"v"}}',
    })
    const route = twirp.writeError(exchangeFor(), new RouteNotFoundError('unknown method'))
    expect(route.status).toBe(404)
    expect(route.body).toBe(
      '{"code":"bad_route","msg":"unknown method","meta":{"twirp_invalid_route":"POST /twirp/unit.v1.Items/Get"}}',
    )
    const malformed = twirp.writeError(
      exchangeFor(),
      new MalformedMessageError(Status.INTERNAL, 'failed', new Error('x')),
    )
    expect(malformed.status).toBe(400)
    expect(malformed.body).toBe('{"code":"malformed","msg":"failed: not a valid message of the type"}')
  })

  test('the request: POST of a Twirp content-type, within readMaxBytes', () => {
    expect(catchGrpcError(() => twirp.readRequest(exchangeFor({ method: 'GET' })))).toBeInstanceOf(RouteNotFoundError)
    const large = catchGrpcError(() =>
      twirp.readRequest(exchangeFor({ body: new Uint8Array(5), options: { readMaxBytes: 4 } })),
    )
    expect(large.message).toBe('message size 5 is larger than the limit 4')
    expect(twirp.readRequest(exchangeFor({ body: new Uint8Array([7]) })).body.message).toEqual(new Uint8Array([7]))
  })

  test.each([
    ['/twirp/pkg.S/M', true],
    ['/prod/twirp/pkg.S/M', true],
    ['/pkg.S/M', false],
    ['/twirp/M', false],
    ['/other/pkg.S/M', false],
  ])('isTwirpPath(%s) is %s', (path, expected) => {
    expect(isTwirpPath(path, '/twirp')).toBe(expected)
  })
})
