import { gunzipSync, gzipSync } from 'node:zlib'
import middy from '@middy/core'
import { grpcFraming, grpcRouter, type GrpcFramingOptions } from '../../src/index.js'
import { decodeStatusDetails } from '../../src/status-details.js'
import type { EventShape } from '../../src/event/shape.js'
import { createTestLambda, TestService } from '../support/test-service.js'
import { httpFixtures, loadEvent } from '../fixtures/load-event.js'
import { frame as buildFrame } from '../support/frames.js'

const context = {} as any

// ---- helpers: build events from the fixtures, read frames out of results ----

/** A fixture event for `shape` with its body replaced and headers added, each as that front door would deliver them. */
function rpcEvent(
  shape: EventShape,
  options: { body?: Uint8Array; headers?: Record<string, string>; path?: string; method?: string } = {},
): any {
  const event = loadEvent(httpFixtures[shape])
  if (options.body !== undefined) {
    event.body = Buffer.from(options.body).toString('base64')
    event.isBase64Encoded = options.body.byteLength > 0
  }
  const headers = options.headers ?? {}
  for (const [name, value] of Object.entries(headers)) {
    if (shape === 'v1') {
      // REST APIs keep the client's spelling; replace any existing spelling of the name.
      for (const key of Object.keys(event.headers)) if (key.toLowerCase() === name) delete event.headers[key]
      for (const key of Object.keys(event.multiValueHeaders))
        if (key.toLowerCase() === name) delete event.multiValueHeaders[key]
      event.headers[name] = value
      event.multiValueHeaders[name] = [value]
    } else if (shape === 'alb-multi') {
      event.multiValueHeaders[name] = [value]
    } else {
      event.headers[name] = value
    }
  }
  if (options.path !== undefined) {
    if (shape === 'v2' || shape === 'url') {
      event.rawPath = options.path
      event.requestContext.http.path = options.path
    } else {
      event.path = options.path
    }
  }
  if (options.method !== undefined) {
    if (shape === 'v2' || shape === 'url') event.requestContext.http.method = options.method
    else event.httpMethod = options.method
  }
  return event
}

/** The shared frame builder as byte values, for toEqual against the result's bytes. */
const frame = (flags: number, payload: Uint8Array | readonly number[]): number[] => [...buildFrame(flags, payload)]
const trailer = (text: string) => frame(0x80, [...Buffer.from(text, 'utf8')])

function resultBytes(result: any): number[] {
  return [...Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')]
}

function splitFrames(bytes: number[]): { flags: number; payload: number[] }[] {
  const frames = []
  for (let i = 0; i < bytes.length; ) {
    const length = ((bytes[i + 1] << 24) >>> 0) + (bytes[i + 2] << 16) + (bytes[i + 3] << 8) + bytes[i + 4]
    frames.push({ flags: bytes[i], payload: bytes.slice(i + 5, i + 5 + length) })
    i += 5 + length
  }
  return frames
}

/** The trailer block of a gRPC-Web result as text. */
function trailerText(result: any): string {
  const last = splitFrames(resultBytes(result)).at(-1)!
  expect(last.flags).toBe(0x80)
  return Buffer.from(last.payload).toString('utf8')
}

const grpcWebHeaders = {
  'content-type': 'application/grpc-web+proto',
  'grpc-accept-encoding': 'gzip, deflate, identity',
}

// EchoRequest { text: "hi" } = 0a 02 68 69, and the same bytes are EchoResponse { text: "hi" }.
const hiMessage = [0x0a, 0x02, 0x68, 0x69]
// The body every fixture carries: frame(0, hiMessage).
const hiFrame = [0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x68, 0x69]
// "grpc-status: 0\r\n" is 16 bytes.
const okTrailer = [0x80, 0x00, 0x00, 0x00, 0x10, ...Buffer.from('grpc-status: 0\r\n', 'latin1')]

/** A service whose replies are fully predictable: Echo returns only text and payload. */
function createEchoLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy()
    .use(grpcFraming({ service: TestService, logger: false, ...options }))
    .handler(
      grpcRouter({
        async Echo({ message, grpc }) {
          if (message.text === 'metadata') {
            grpc.responseHeader.set('x-h', 'one')
            grpc.responseHeader.append('X-H', 'two')
            grpc.responseHeader.set('content-type', 'text/html') // reserved: must not leak
            grpc.responseTrailer.set('x-t-bin', 'AQ==')
            grpc.responseTrailer.set('grpc-status', '5') // reserved: must not override the status
          }
          // Only non-default fields, so that the reply bytes are exactly what the tests spell out.
          const reply: { text?: string; payload?: Uint8Array } = {}
          if (message.text !== '') reply.text = message.text
          if (message.replyBytes > 0) reply.payload = new Uint8Array(message.replyBytes).fill(7)
          return reply
        },
      }),
    )
}

const echoLambda = createEchoLambda()
const testLambda = createTestLambda()

// FailRequest { code, message }: 08 <code> 12 <len> <utf-8 message>
function failRequest(code: number, message: string): number[] {
  const text = [...Buffer.from(message, 'utf8')]
  return frame(0, [0x08, code, 0x12, text.length, ...text])
}

// ---- tests ----

describe('gRPC-Web success through every front door', () => {
  test('HTTP API v2 (stage prefix /prod in rawPath): message frame then trailer frame', async () => {
    const result = await echoLambda(loadEvent('http-api-v2'), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: grpcWebHeaders,
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: true,
    })
    expect(resultBytes(result)).toEqual([...hiFrame, ...okTrailer])
  })

  test('REST API v1: headers and multiValueHeaders', async () => {
    const result = await echoLambda(loadEvent('apigw-rest-v1'), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: grpcWebHeaders,
      multiValueHeaders: {
        'content-type': ['application/grpc-web+proto'],
        'grpc-accept-encoding': ['gzip, deflate, identity'],
      },
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: true,
    })
  })

  test('ALB single-value: statusDescription and headers', async () => {
    const result = await echoLambda(loadEvent('alb-single-value'), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      headers: grpcWebHeaders,
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: true,
    })
  })

  test('ALB multi-value: multiValueHeaders only', async () => {
    const result = await echoLambda(loadEvent('alb-multi-value'), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: {
        'content-type': ['application/grpc-web+proto'],
        'grpc-accept-encoding': ['gzip, deflate, identity'],
      },
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: true,
    })
  })

  test('Function URL', async () => {
    const result = await echoLambda(loadEvent('function-url'), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: grpcWebHeaders,
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: true,
    })
  })

  test('content-type application/grpc-web is answered with the same type', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: { 'content-type': 'application/grpc-web' } }), context)
    expect(result.headers['content-type']).toBe('application/grpc-web')
  })

  test('a REST API custom-domain base path in front of the method is routed', async () => {
    const result = await echoLambda(rpcEvent('v1', { path: '/prod/test.v1.TestService/Echo' }), context)
    expect(resultBytes(result)).toEqual([...hiFrame, ...okTrailer])
  })

  test('handler headers become HTTP headers, trailers go into the trailer frame; reserved names are dropped', async () => {
    const request = frame(0, [0x0a, 0x08, ...Buffer.from('metadata')])
    const result = await echoLambda(rpcEvent('v2', { body: Uint8Array.from(request) }), context)
    expect(result.headers).toStrictEqual({ ...grpcWebHeaders, 'x-h': 'one, two' })
    expect(trailerText(result)).toBe('grpc-status: 0\r\nx-t-bin: AQ\r\n')
  })
})

describe('gRPC-Web errors', () => {
  test('a GrpcError is a body holding only the trailer frame, grpc-message percent-encoded', async () => {
    const body = Uint8Array.from(failRequest(5, 'no such user ☺'))
    const result = await testLambda(rpcEvent('v2', { body, path: '/test.v1.TestService/Fail' }), context)
    const text =
      'grpc-status: 5\r\n' +
      'grpc-message: no such user %E2%98%BA\r\n' +
      'x-failed: yes\r\n' +
      'x-error-meta: present\r\n'
    expect(Buffer.byteLength(text)).toBe(0x5c)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: grpcWebHeaders,
      body: Buffer.from([0x80, 0x00, 0x00, 0x00, 0x5c, ...Buffer.from(text)]).toString('base64'),
      isBase64Encoded: true,
    })
  })

  test('details travel as unpadded grpc-status-details-bin holding google.rpc.Status', async () => {
    // FailRequest { code: 3, message: "bad", with_details: true }
    const body = Uint8Array.from(frame(0, [0x08, 0x03, 0x12, 0x03, 0x62, 0x61, 0x64, 0x18, 0x01]))
    const result = await testLambda(rpcEvent('v2', { body, path: '/test.v1.TestService/Fail' }), context)
    const lines = trailerText(result).split('\r\n')
    expect(lines.slice(0, 2)).toEqual(['grpc-status: 3', 'grpc-message: bad'])
    const detailsLine = lines.find((line) => line.startsWith('grpc-status-details-bin: '))!
    const value = detailsLine.slice('grpc-status-details-bin: '.length)
    expect(value).not.toContain('=')
    const status = decodeStatusDetails(Buffer.from(value, 'base64'))
    expect(status.code).toBe(3)
    expect(status.message).toBe('bad')
    expect(status.details).toHaveLength(1)
    expect(status.details[0].type).toBe('test.v1.ErrorInfo')
    // ErrorInfo { reason: "TEST_REASON", metadata: { a: "b" } }
    expect([...status.details[0].value]).toEqual([
      0x0a,
      0x0b,
      ...Buffer.from('TEST_REASON'),
      0x12,
      0x06,
      0x0a,
      0x01,
      0x61,
      0x12,
      0x01,
      0x62,
    ])
  })

  test('a thrown plain Error is INTERNAL with a generic message', async () => {
    // FailRequest { message: "secret", kind: "plain" }: kind is field 4
    const body = Uint8Array.from(frame(0, [0x12, 0x06, ...Buffer.from('secret'), 0x22, 0x05, ...Buffer.from('plain')]))
    const result = await testLambda(rpcEvent('v2', { body, path: '/test.v1.TestService/Fail' }), context)
    expect(trailerText(result)).toBe('grpc-status: 13\r\ngrpc-message: internal error\r\nx-failed: yes\r\n')
  })
})

describe('gRPC-Web text', () => {
  test('base64 request body, base64 text reply with content-type application/grpc-web-text+proto', async () => {
    // HTTP API delivers the (text) body base64-encoded once more, as it does for any non-text media type.
    const event = rpcEvent('v2', {
      body: Buffer.from('AAAAAAQKAmhp', 'latin1'),
      headers: { 'content-type': 'application/grpc-web-text', accept: 'application/grpc-web-text' },
    })
    const result = await echoLambda(event, context)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/grpc-web-text+proto', 'grpc-accept-encoding': 'gzip, deflate, identity' },
      body: 'AAAAAAQKAmhpgAAAABBncnBjLXN0YXR1czogMA0K',
      isBase64Encoded: false,
    })
    expect([...Buffer.from(result.body, 'base64')]).toEqual([...hiFrame, ...okTrailer])
  })

  test('an error is the base64 of the trailer frame', async () => {
    const event = rpcEvent('v2', {
      body: Buffer.from('AAAAAAQKAmhp', 'latin1'),
      headers: { 'content-type': 'application/grpc-web-text+proto' },
      path: '/test.v1.TestService/Unrouted',
    })
    const result = await echoLambda(event, context)
    expect(result.isBase64Encoded).toBe(false)
    expect([...Buffer.from(result.body, 'base64')]).toEqual(
      trailer('grpc-status: 12\r\ngrpc-message: method /test.v1.TestService/Unrouted is not implemented\r\n'),
    )
  })

  test('invalid base64 is INVALID_ARGUMENT', async () => {
    const event = rpcEvent('v2', {
      body: Buffer.from('AAAA*AQK', 'latin1'),
      headers: { 'content-type': 'application/grpc-web-text' },
    })
    const result = await echoLambda(event, context)
    expect([...Buffer.from(result.body, 'base64')]).toEqual(
      trailer('grpc-status: 3\r\ngrpc-message: protocol error: gRPC-Web text body is not valid base64\r\n'),
    )
  })
})

describe('native gRPC', () => {
  const grpcHeaders = { 'content-type': 'application/grpc', te: 'trailers' }

  test('success: the message frame in the body, status fields in headers named by a trailer header', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: grpcHeaders }), context)
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: {
        'content-type': 'application/grpc',
        'grpc-accept-encoding': 'gzip, deflate, identity',
        trailer: 'grpc-status',
        'grpc-status': '0',
      },
      body: Buffer.from(hiFrame).toString('base64'),
      isBase64Encoded: true,
    })
  })

  test('application/grpc+proto is answered as application/grpc+proto', async () => {
    const result = await echoLambda(
      rpcEvent('v2', { headers: { ...grpcHeaders, 'content-type': 'application/grpc+proto' } }),
      context,
    )
    expect(result.headers['content-type']).toBe('application/grpc+proto')
  })

  test('error: Trailers-Only, status in headers and an empty body', async () => {
    const body = Uint8Array.from(failRequest(7, 'denied'))
    const result = await testLambda(
      rpcEvent('v2', { body, headers: grpcHeaders, path: '/test.v1.TestService/Fail' }),
      context,
    )
    expect(result).toStrictEqual({
      statusCode: 200,
      headers: {
        'content-type': 'application/grpc',
        'grpc-accept-encoding': 'gzip, deflate, identity',
        'grpc-status': '7',
        'grpc-message': 'denied',
        'x-failed': 'yes',
        'x-error-meta': 'present',
      },
      body: '',
      isBase64Encoded: false,
    })
  })
})

describe('requests that are not RPCs', () => {
  test('OPTIONS (CORS preflight) is an empty 204', async () => {
    const result = await echoLambda(rpcEvent('v2', { method: 'OPTIONS', body: new Uint8Array(0) }), context)
    expect(result).toStrictEqual({
      statusCode: 204,
      headers: { allow: 'GET, POST, OPTIONS' },
      body: '',
      isBase64Encoded: false,
    })
  })

  test('GET (a health check) is 405 with allow and a short text body', async () => {
    const result = await echoLambda(rpcEvent('alb', { method: 'GET', body: new Uint8Array(0) }), context)
    expect(result.statusCode).toBe(405)
    expect(result.statusDescription).toBe('405 Method Not Allowed')
    expect(result.headers.allow).toBe('GET, POST, OPTIONS')
    expect(result.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(result.body).toMatch(/^method GET not allowed/)
    expect(result.isBase64Encoded).toBe(false)
  })

  test('PUT is 405', async () => {
    const result = await echoLambda(rpcEvent('v1', { method: 'PUT' }), context)
    expect(result.statusCode).toBe(405)
    expect(result.body).toBe('method PUT not allowed: RPCs use POST')
  })

  test('a text/plain POST is 415 with accept-post', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: { 'content-type': 'text/plain' } }), context)
    expect(result.statusCode).toBe(415)
    expect(result.body).toBe('unsupported content-type "text/plain"')
    expect(result.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(result.headers['accept-post'].split(', ')).toEqual(
      expect.arrayContaining([
        'application/grpc-web',
        'application/grpc-web+proto',
        'application/grpc-web-text',
        'application/grpc',
      ]),
    )
  })

  test('an event that is not an HTTP event makes the middleware throw', async () => {
    await expect(echoLambda(loadEvent('sqs'), context)).rejects.toThrow(
      'middy-grpc: the event is not an HTTP event of API Gateway, ALB or a Function URL',
    )
  })
})

describe('routing', () => {
  test('an unknown method is HTTP 200 with grpc-status 12', async () => {
    const result = await echoLambda(rpcEvent('v2', { path: '/test.v1.TestService/Nope' }), context)
    expect(result.statusCode).toBe(200)
    expect(resultBytes(result)).toEqual(
      trailer('grpc-status: 12\r\ngrpc-message: unknown method /test.v1.TestService/Nope\r\n'),
    )
  })

  test('an unknown service is grpc-status 12 too', async () => {
    const result = await echoLambda(rpcEvent('v1', { path: '/other.v1.Other/Echo' }), context)
    expect(trailerText(result)).toBe('grpc-status: 12\r\ngrpc-message: unknown method /other.v1.Other/Echo\r\n')
  })

  test('a declared method the router lacks is grpc-status 12', async () => {
    const result = await echoLambda(rpcEvent('v2', { path: '/test.v1.TestService/Unrouted' }), context)
    expect(trailerText(result)).toBe(
      'grpc-status: 12\r\ngrpc-message: method /test.v1.TestService/Unrouted is not implemented\r\n',
    )
  })
})

describe('request headers', () => {
  test('a 9-digit grpc-timeout is grpc-status 3', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: { 'grpc-timeout': '123456789m' } }), context)
    expect(trailerText(result)).toBe(
      'grpc-status: 3\r\ngrpc-message: invalid grpc-timeout "123456789m": want 1 to 8 digits and a unit\r\n',
    )
  })

  test('grpc-encoding: br is grpc-status 12, and the response lists what is accepted', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: { 'grpc-encoding': 'br' } }), context)
    expect(result.headers['grpc-accept-encoding']).toBe('gzip, deflate, identity')
    expect(trailerText(result)).toBe(
      'grpc-status: 12\r\ngrpc-message: unsupported compression "br": supported are gzip, deflate, identity\r\n',
    )
  })
})

describe('compression', () => {
  test('a compressed flag without grpc-encoding is grpc-status 13', async () => {
    const body = Uint8Array.from(frame(0x01, hiMessage))
    const result = await echoLambda(rpcEvent('v2', { body }), context)
    expect(trailerText(result)).toBe(
      'grpc-status: 13\r\ngrpc-message: protocol error: compressed message without a negotiated encoding\r\n',
    )
  })

  test('a gzip-compressed request is decoded; the small reply is not compressed', async () => {
    const body = Uint8Array.from(frame(0x01, gzipSync(Uint8Array.from(hiMessage))))
    const result = await echoLambda(rpcEvent('v2', { body, headers: { 'grpc-encoding': 'gzip' } }), context)
    expect(result.headers).toStrictEqual(grpcWebHeaders)
    expect(resultBytes(result)).toEqual([...hiFrame, ...okTrailer])
  })

  test('a corrupt gzip message is grpc-status 13', async () => {
    const body = Uint8Array.from(frame(0x01, [0x1f, 0x8b, 0x08, 0x00, 0x01]))
    const result = await echoLambda(rpcEvent('v2', { body, headers: { 'grpc-encoding': 'gzip' } }), context)
    expect(trailerText(result)).toBe('grpc-status: 13\r\ngrpc-message: failed to decompress gzip message\r\n')
  })

  // EchoRequest { reply_bytes: 2000 } = 18 d0 0f; the reply EchoResponse { payload: 2000 × 07 } = 12 d0 0f + payload.
  const replyBytesRequest = Uint8Array.from(frame(0, [0x18, 0xd0, 0x0f]))
  const bigReply = [0x12, 0xd0, 0x0f, ...new Array(2000).fill(0x07)]

  test('a reply of at least compressMinBytes is gzip-compressed when the client accepts gzip', async () => {
    const result = await echoLambda(
      rpcEvent('v2', { body: replyBytesRequest, headers: { 'grpc-accept-encoding': 'gzip' } }),
      context,
    )
    expect(result.headers).toStrictEqual({ ...grpcWebHeaders, 'grpc-encoding': 'gzip' })
    const [message, status] = splitFrames(resultBytes(result))
    expect(message.flags).toBe(0x01)
    expect(message.payload.length).toBeLessThan(200)
    expect([...gunzipSync(Uint8Array.from(message.payload))]).toEqual(bigReply)
    // The trailer frame itself is never compressed.
    expect(status).toEqual({ flags: 0x80, payload: [...Buffer.from('grpc-status: 0\r\n')] })
  })

  test('the same reply is not compressed when the client does not ask for it', async () => {
    const result = await echoLambda(rpcEvent('v2', { body: replyBytesRequest }), context)
    expect(result.headers).toStrictEqual(grpcWebHeaders)
    expect(resultBytes(result)).toEqual([...frame(0, bigReply), ...okTrailer])
  })

  test('a reply smaller than compressMinBytes is sent as it is', async () => {
    const result = await echoLambda(rpcEvent('v2', { headers: { 'grpc-accept-encoding': 'gzip' } }), context)
    expect(result.headers['grpc-encoding']).toBeUndefined()
    expect(resultBytes(result)).toEqual([...hiFrame, ...okTrailer])
  })

  test('the threshold is inclusive: a 2003-byte reply is compressed at 2003, not at 2004', async () => {
    const event = () => rpcEvent('v2', { body: replyBytesRequest, headers: { 'grpc-accept-encoding': 'deflate' } })
    const atLimit = await createEchoLambda({ compressMinBytes: 2003 })(event(), context)
    expect(atLimit.headers['grpc-encoding']).toBe('deflate')
    expect(splitFrames(resultBytes(atLimit))[0].flags).toBe(0x01)
    const overLimit = await createEchoLambda({ compressMinBytes: 2004 })(event(), context)
    expect(overLimit.headers['grpc-encoding']).toBeUndefined()
    expect(splitFrames(resultBytes(overLimit))[0].flags).toBe(0x00)
  })
})

describe('size limits', () => {
  test('a request message over readMaxBytes is grpc-status 8', async () => {
    const result = await createEchoLambda({ readMaxBytes: 3 })(loadEvent('http-api-v2'), context)
    expect(trailerText(result)).toBe('grpc-status: 8\r\ngrpc-message: message size 4 is larger than the limit 3\r\n')
  })

  test('a request message of exactly readMaxBytes is served', async () => {
    const result = await createEchoLambda({ readMaxBytes: 4 })(loadEvent('http-api-v2'), context)
    expect(resultBytes(result)).toEqual([...hiFrame, ...okTrailer])
  })

  test('a bare header declaring 5 MiB is refused at the default 4 MiB limit', async () => {
    const body = Uint8Array.from([0x00, 0x00, 0x50, 0x00, 0x00])
    const result = await echoLambda(rpcEvent('v2', { body }), context)
    expect(trailerText(result)).toBe(
      'grpc-status: 8\r\ngrpc-message: message size 5242880 is larger than the limit 4194304\r\n',
    )
  })

  test('a gzip bomb is grpc-status 8', async () => {
    // EchoRequest { payload: 5 MiB of zeros }, gzip-compressed to a few KB
    const payload = Buffer.alloc(5 * 1024 * 1024)
    const message = Buffer.concat([Buffer.from([0x12, 0x80, 0x80, 0xc0, 0x02]), payload])
    const body = Uint8Array.from(frame(0x01, gzipSync(message)))
    const result = await echoLambda(rpcEvent('v2', { body, headers: { 'grpc-encoding': 'gzip' } }), context)
    expect(trailerText(result)).toBe(
      'grpc-status: 8\r\ngrpc-message: decompressed message is larger than the limit 4194304\r\n',
    )
  })

  // EchoRequest { reply_bytes: 900000 } = 18 a0 f7 36; the reply is 12 a0 f7 36 + 900000 bytes = 900004 bytes.
  const nineHundredKb = Uint8Array.from(frame(0, [0x18, 0xa0, 0xf7, 0x36]))

  test('a 900 KB reply through ALB is grpc-status 8 instead of a 502', async () => {
    const result = await echoLambda(rpcEvent('alb', { body: nineHundredKb }), context)
    expect(result.statusCode).toBe(200)
    expect(result.statusDescription).toBe('200 OK')
    // body 5 + 900004 + 21 = 900030 bytes, 1200040 in base64; ALB allows 1 MiB less 16 KiB = 1032192
    expect(trailerText(result)).toBe(
      'grpc-status: 8\r\ngrpc-message: reply of 1200040 bytes does not fit through the alb front door (1032192 bytes)\r\n',
    )
  })

  test('the same reply fits through HTTP API', async () => {
    const result = await echoLambda(rpcEvent('v2', { body: nineHundredKb }), context)
    const bytes = resultBytes(result)
    expect(bytes.length).toBe(900030)
    expect(bytes.slice(0, 9)).toEqual([0x00, 0x00, 0x0d, 0xbb, 0xa4, 0x12, 0xa0, 0xf7, 0x36])
    expect(bytes.slice(-21)).toEqual(okTrailer)
  })

  test('writeMaxBytes caps the reply message', async () => {
    const result = await createEchoLambda({ writeMaxBytes: 3 })(loadEvent('http-api-v2'), context)
    expect(trailerText(result)).toBe('grpc-status: 8\r\ngrpc-message: message size 4 is larger than the limit 3\r\n')
  })
})

describe('messages', () => {
  test('an undecodable protobuf body is grpc-status 13', async () => {
    // field 2 (bytes), length 5, but no bytes follow
    const body = Uint8Array.from(frame(0, [0x12, 0x05]))
    const result = await echoLambda(rpcEvent('v2', { body }), context)
    expect(trailerText(result)).toMatch(
      /^grpc-status: 13\r\ngrpc-message: failed to decode request message: [^\r\n]+\r\n$/,
    )
  })

  test('a handler returning null is grpc-status 13', async () => {
    const lambda = middy()
      .use(grpcFraming({ service: TestService, method: 'Echo', logger: false }))
      .handler(async () => null)
    const result = await lambda(loadEvent('function-url'), context)
    expect(trailerText(result)).toBe('grpc-status: 13\r\ngrpc-message: handler returned null, not a message\r\n')
  })

  test('an empty message (zero-length frame) decodes to defaults', async () => {
    const result = await echoLambda(rpcEvent('v2', { body: Uint8Array.from([0, 0, 0, 0, 0]) }), context)
    // EchoResponse with every field at its default encodes to nothing.
    expect(resultBytes(result)).toEqual([0x00, 0x00, 0x00, 0x00, 0x00, ...okTrailer])
  })

  test('an empty body (no frame at all) is grpc-status 12', async () => {
    const result = await echoLambda(rpcEvent('v2', { body: new Uint8Array(0) }), context)
    expect(trailerText(result)).toBe('grpc-status: 12\r\ngrpc-message: unary request has no message\r\n')
  })
})
