import { readHttpRequest } from '../../../src/event/read.js'
import { loadEvent } from '../../fixtures/load-event.js'

// Echo { text: "hi" } in one gRPC-Web frame: what every fixture carries as its base64 body "AAAAAAQKAmhp".
const echoHiFrame = [0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x68, 0x69]

const commonProxyHeaders = {
  'x-forwarded-port': '443',
  'x-forwarded-proto': 'https',
  'x-grpc-web': '1',
}

describe('readHttpRequest', () => {
  test('API Gateway REST v1: path without the stage, multi-value headers lower-cased and joined', () => {
    const request = readHttpRequest(loadEvent('apigw-rest-v1'), 'v1')
    expect(request.shape).toBe('v1')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/test.v1.TestService/Echo')
    expect(request.headers).toEqual({
      accept: 'application/grpc-web+proto',
      'content-type': 'application/grpc-web+proto',
      host: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      'x-amzn-trace-id': 'Root=1-66216f1c-4f0e3a5b2c1d0e9f8a7b6c5d',
      'x-forwarded-for': '198.51.100.7',
      ...commonProxyHeaders,
      'x-tag': 'first, second',
      'x-user-agent': 'grpc-web-javascript/0.1',
    })
    expect(request.query).toEqual({ lang: 'fr', tag: 'y' })
    expect([...request.body]).toEqual(echoHiFrame)
  })

  test('API Gateway REST v1 without multiValueHeaders falls back to headers', () => {
    const event = loadEvent('apigw-rest-v1')
    delete event.multiValueHeaders
    delete event.multiValueQueryStringParameters
    const request = readHttpRequest(event, 'v1')
    expect(request.headers['x-tag']).toBe('second')
    expect(request.headers['content-type']).toBe('application/grpc-web+proto')
    expect(request.query).toEqual({ lang: 'fr', tag: 'y' })
  })

  test('API Gateway REST v1 names differing only in case are merged', () => {
    const event = loadEvent('apigw-rest-v1')
    event.multiValueHeaders = { 'X-Dup': ['a'], 'x-dup': ['b'] }
    expect(readHttpRequest(event, 'v1').headers).toEqual({ 'x-dup': 'a, b' })
  })

  test('HTTP API v2: rawPath with the stage, cookies back in a cookie header, rawQueryString decoded', () => {
    const request = readHttpRequest(loadEvent('http-api-v2'), 'v2')
    expect(request.shape).toBe('v2')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/prod/test.v1.TestService/Echo')
    expect(request.headers).toEqual({
      accept: 'application/grpc-web+proto',
      'content-length': '9',
      'content-type': 'application/grpc-web+proto',
      cookie: 'session=abc123; theme=dark',
      host: 'r3pmxmplak.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'grpc-web-javascript/0.1',
      'x-amzn-trace-id': 'Root=1-66216f1c-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.9',
      ...commonProxyHeaders,
      'x-tag': 'first,second',
    })
    expect(request.query).toEqual({ trace: 'a b', tag: 'y' })
    expect([...request.body]).toEqual(echoHiFrame)
  })

  test('ALB single-value: still-encoded query values are decoded', () => {
    const request = readHttpRequest(loadEvent('alb-single-value'), 'alb')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/test.v1.TestService/Echo')
    expect(request.headers).toEqual({
      accept: 'application/grpc-web+proto',
      'content-length': '9',
      'content-type': 'application/grpc-web+proto',
      host: 'grpc-alb-1234567890.us-east-1.elb.amazonaws.com',
      'user-agent': 'grpc-web-javascript/0.1',
      'x-amzn-trace-id': 'Root=1-66216f1c-7c3e1f0a9b8d7e6f5a4b3c2d',
      'x-forwarded-for': '192.0.2.44',
      ...commonProxyHeaders,
    })
    expect(request.query).toEqual({ name: 'café', q: 'a b c' })
    expect([...request.body]).toEqual(echoHiFrame)
  })

  test('ALB multi-value: headers joined, last query value decoded (%2B is +, %26 is &, %3D is =)', () => {
    const request = readHttpRequest(loadEvent('alb-multi-value'), 'alb-multi')
    expect(request.path).toBe('/test.v1.TestService/Echo')
    expect(request.headers).toEqual({
      accept: 'application/grpc-web+proto',
      'content-length': '9',
      'content-type': 'application/grpc-web+proto',
      host: 'grpc-alb-1234567890.us-east-1.elb.amazonaws.com',
      'user-agent': 'grpc-web-javascript/0.1',
      'x-amzn-trace-id': 'Root=1-66216f1c-1a2b3c4d5e6f7a8b9c0d1e2f',
      'x-forwarded-for': '192.0.2.44',
      ...commonProxyHeaders,
      'x-tag': 'first, second',
    })
    expect(request.query).toEqual({ tag: 'z&w', message: 'CgJoaQ==' })
    expect([...request.body]).toEqual(echoHiFrame)
  })

  test('ALB: a malformed escape is kept as it is', () => {
    const event = loadEvent('alb-single-value')
    event.queryStringParameters = { bad: '100%', ok: '%41' }
    expect(readHttpRequest(event, 'alb').query).toEqual({ bad: '100%', ok: 'A' })
  })

  test('Function URL: rawPath, one cookie, no query', () => {
    const request = readHttpRequest(loadEvent('function-url'), 'url')
    expect(request.shape).toBe('url')
    expect(request.method).toBe('POST')
    expect(request.path).toBe('/test.v1.TestService/Echo')
    expect(request.headers).toEqual({
      accept: 'application/grpc-web+proto',
      'content-length': '9',
      'content-type': 'application/grpc-web+proto',
      cookie: 'session=abc123',
      host: 'x7kq2mplfq3rv4s5t6u7w8y9z0abcdef.lambda-url.us-west-2.on.aws',
      'user-agent': 'grpc-web-javascript/0.1',
      'x-amzn-trace-id': 'Root=1-66216f1c-5d4c3b2a1f0e9d8c7b6a5f4e',
      'x-forwarded-for': '198.51.100.23',
      ...commonProxyHeaders,
    })
    expect(request.query).toEqual({})
    expect([...request.body]).toEqual(echoHiFrame)
  })

  test('a lower-case HTTP API method is upper-cased', () => {
    const event = loadEvent('http-api-v2')
    event.requestContext.http.method = 'options'
    expect(readHttpRequest(event, 'v2').method).toBe('OPTIONS')
  })

  test('a body that is not base64-encoded is read as UTF-8', () => {
    const event = loadEvent('http-api-v2')
    event.body = 'é'
    event.isBase64Encoded = false
    expect([...readHttpRequest(event, 'v2').body]).toEqual([0xc3, 0xa9])
  })

  test.each([null, undefined, ''])('a %p body is empty', (body) => {
    const event = loadEvent('apigw-rest-v1')
    event.body = body
    expect(readHttpRequest(event, 'v1').body.byteLength).toBe(0)
  })
})
