import { gzipSync } from 'node:zlib'
import { createLambdaContext, fromLambdaResult, toLambdaEvent } from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import { hasCanonicalJson } from '../src/codecs/protobufjs-json.js'
import { createTestLambda, testRoot } from './support/test-service.js'

const lambda = createTestLambda()
const EchoRequest = testRoot.lookupType('test.v1.EchoRequest')
const EchoResponse = testRoot.lookupType('test.v1.EchoResponse')

interface Call {
  method?: string
  path?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  shape?: EventShape
  handler?: typeof lambda
}

async function invoke({
  method = 'POST',
  path = '/test.v1.TestService/Echo',
  headers = {},
  body = '',
  shape = 'v2',
  handler = lambda,
}: Call) {
  const event = toLambdaEvent(
    { method, url: path, headers: Object.entries(headers), body: typeof body === 'string' ? Buffer.from(body) : body },
    shape,
  )
  const response = fromLambdaResult(await handler(event as never, createLambdaContext(10_000)), shape)
  return { ...response, headers: Object.fromEntries(response.headers), text: response.body.toString('utf8') }
}

const json = { 'content-type': 'application/json', 'connect-protocol-version': '1' }
const connectHttpStatus = [499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]
const twirpHttpStatus = [408, 500, 400, 408, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401]
const codeNames = [
  'canceled',
  'unknown',
  'invalid_argument',
  'deadline_exceeded',
  'not_found',
  'already_exists',
  'permission_denied',
  'resource_exhausted',
  'failed_precondition',
  'aborted',
  'out_of_range',
  'unimplemented',
  'internal',
  'unavailable',
  'data_loss',
  'unauthenticated',
]

describe('Connect unary errors on the wire', () => {
  test.each(codeNames.map((name, i) => [i + 1, name, connectHttpStatus[i]] as const))(
    'code %i is %s with HTTP %i',
    async (code, name, status) => {
      const response = await invoke({
        path: '/test.v1.TestService/Fail',
        headers: json,
        body: JSON.stringify({ code, message: 'm' }),
      })
      expect(response.status).toBe(status)
      expect(response.headers['content-type']).toBe('application/json')
      expect(response.text).toBe(`{"code":"${name}","message":"m"}`)
      expect(response.headers['x-error-meta']).toBe('present')
      expect(response.headers['trailer-x-failed']).toBe('yes')
    },
  )

  test('an empty message leaves the key out', async () => {
    const response = await invoke({ path: '/test.v1.TestService/Fail', headers: json, body: '{"code":5}' })
    expect(response.text).toBe('{"code":"not_found"}')
  })

  test('details travel as unpadded base64', async () => {
    const response = await invoke({
      path: '/test.v1.TestService/Fail',
      headers: json,
      body: '{"code":5,"message":"x","withDetails":true}',
    })
    const body = JSON.parse(response.text)
    expect(body.details).toHaveLength(1)
    expect(body.details[0].type).toBe('test.v1.ErrorInfo')
    expect(body.details[0].value).not.toMatch(/=/)
    const detail = testRoot.lookupType('test.v1.ErrorInfo').decode(Buffer.from(body.details[0].value, 'base64')) as any
    expect(detail.reason).toBe('TEST_REASON')
  })

  test('an unknown method is 404 unimplemented', async () => {
    const response = await invoke({ path: '/test.v1.TestService/Nope', headers: json, body: '{}' })
    expect(response.status).toBe(404)
    expect(JSON.parse(response.text).code).toBe('unimplemented')
  })

  test('a declared method without handler is 501', async () => {
    const response = await invoke({ path: '/test.v1.TestService/Unrouted', headers: json, body: '{}' })
    expect(response.status).toBe(501)
    expect(JSON.parse(response.text).code).toBe('unimplemented')
  })

  test('a wrong verb is a plain 405', async () => {
    const response = await invoke({ method: 'PUT', headers: json, body: '{}' })
    expect(response.status).toBe(405)
    expect(response.headers.allow).toBe('GET, POST, OPTIONS')
  })

  test('an unknown codec is a plain 415', async () => {
    const response = await invoke({ headers: { 'content-type': 'application/foo' }, body: 'x' })
    expect(response.status).toBe(415)
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  test('connect-protocol-version other than 1 is invalid_argument', async () => {
    const response = await invoke({ headers: { ...json, 'connect-protocol-version': '2' }, body: '{}' })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text)).toEqual({
      code: 'invalid_argument',
      message: 'unsupported connect-protocol-version "2": want "1"',
    })
  })

  test('a missing connect-protocol-version is accepted unless required', async () => {
    expect((await invoke({ headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200)
    const strict = createTestLambda({ requireConnectProtocolHeader: true })
    const response = await invoke({ headers: { 'content-type': 'application/json' }, body: '{}', handler: strict })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).message).toBe('missing connect-protocol-version')
  })

  test.each(['', '12345678901', '1.5', '-1'])('connect-timeout-ms %j is invalid_argument', async (timeout) => {
    const response = await invoke({ headers: { ...json, 'connect-timeout-ms': timeout }, body: '{}' })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).code).toBe('invalid_argument')
  })

  test('connect-timeout-ms reaches the handler', async () => {
    const response = await invoke({ headers: { ...json, 'connect-timeout-ms': '2500' }, body: '{}' })
    expect(JSON.parse(response.text).timeoutMs).toBe(2500)
  })

  test('an unknown content-encoding is unimplemented and lists what is supported', async () => {
    const response = await invoke({ headers: { ...json, 'content-encoding': 'br' }, body: '{}' })
    expect(response.status).toBe(501)
    expect(response.headers['accept-encoding']).toBe('gzip, deflate')
    expect(JSON.parse(response.text).code).toBe('unimplemented')
  })

  test('a gzip body is decompressed; an empty one is never', async () => {
    const gzipped = await invoke({
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync('{"text":"zipped"}'),
    })
    expect(JSON.parse(gzipped.text).text).toBe('zipped')
    const empty = await invoke({
      headers: { 'content-type': 'application/proto', 'content-encoding': 'gzip' },
      body: '',
    })
    expect(empty.status).toBe(200)
    expect((EchoResponse.decode(empty.body) as any).protocol).toBe('connect')
  })

  test('the reply is gzipped when accepted and large enough', async () => {
    const response = await invoke({ headers: { ...json, 'accept-encoding': 'gzip' }, body: '{"replyBytes":5000}' })
    expect(response.headers['content-encoding']).toBe('gzip')
  })

  // The protobufjs 7 fallback (fromObject) coerces wrong field types instead of rejecting them.
  const strictJson = hasCanonicalJson() ? ['{"replyBytes":"many"}'] : []
  test.each(['{', '[]', '"x"', 'not json', ...strictJson])('undecodable JSON %j is invalid_argument', async (body) => {
    const response = await invoke({ headers: json, body })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).code).toBe('invalid_argument')
  })

  test('a request over readMaxBytes is resource_exhausted', async () => {
    const small = createTestLambda({ readMaxBytes: 10 })
    const response = await invoke({ headers: json, body: '{"text":"more than ten bytes"}', handler: small })
    expect(response.status).toBe(429)
    expect(JSON.parse(response.text).code).toBe('resource_exhausted')
  })
})

describe('Connect GET', () => {
  const base = '/test.v1.TestService/Lookup'
  const protoMessage = Buffer.from(EchoRequest.encode({ text: 'p' }).finish()).toString('base64url')

  test.each(['v1', 'v2', 'alb', 'alb-multi', 'url'] as EventShape[])(
    'query parameters in any order through %s',
    async (shape) => {
      const response = await invoke({
        method: 'GET',
        path: `${base}?message=%7B%22text%22%3A%22a%20b%22%7D&encoding=json&connect=v1`,
        shape,
      })
      expect(response.status).toBe(200)
      expect(response.text).toBe('{"text":"found a b"}')
      expect(response.headers.vary).toBe('Accept-Encoding')
    },
  )

  test('binary, URL-safe base64 without padding', async () => {
    const response = await invoke({
      method: 'GET',
      path: `${base}?connect=v1&encoding=proto&base64=1&message=${protoMessage}`,
    })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/proto')
  })

  test('gzip-compressed message', async () => {
    const message = gzipSync(EchoRequest.encode({ text: 'z' }).finish()).toString('base64url')
    const response = await invoke({
      method: 'GET',
      path: `${base}?connect=v1&encoding=proto&base64=1&compression=gzip&message=${message}`,
    })
    expect(response.status).toBe(200)
  })

  test('missing encoding is invalid_argument; an unknown one is 415', async () => {
    const missing = await invoke({ method: 'GET', path: `${base}?connect=v1&message=%7B%7D` })
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.text).message).toBe('missing query parameter encoding')
    expect((await invoke({ method: 'GET', path: `${base}?connect=v1&encoding=xml&message=x` })).status).toBe(415)
  })

  test('missing message is invalid_argument', async () => {
    const response = await invoke({ method: 'GET', path: `${base}?connect=v1&encoding=json` })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).message).toBe('missing query parameter message')
  })

  test('broken base64 is invalid_argument', async () => {
    const response = await invoke({ method: 'GET', path: `${base}?connect=v1&encoding=proto&base64=1&message=a` })
    expect(response.status).toBe(400)
  })

  test('a GET without a Connect query is a plain 405', async () => {
    expect((await invoke({ method: 'GET', path: '/health' })).status).toBe(405)
  })
})

describe('Twirp on the wire', () => {
  const twirpJson = { 'content-type': 'application/json' }

  test.each(codeNames.map((name, i) => [i + 1, name, twirpHttpStatus[i]] as const))(
    'code %i is %s with HTTP %i',
    async (code, name, status) => {
      const response = await invoke({
        path: '/twirp/test.v1.TestService/Fail',
        headers: twirpJson,
        body: JSON.stringify({ code, message: 'm' }),
      })
      expect(response.status).toBe(status)
      expect(response.text).toBe(`{"code":"${name}","msg":"m","meta":{"x-error-meta":"present"}}`)
    },
  )

  test.each([
    ['GET', '/twirp/test.v1.TestService/Echo', 'application/json'],
    ['POST', '/twirp/test.v1.TestService/Echo', 'text/plain'],
    ['POST', '/twirp/test.v1.TestService/Nope', 'application/json'],
  ])('%s %s (%s) is bad_route', async (method, path, contentType) => {
    const response = await invoke({
      method,
      path,
      headers: { 'content-type': contentType },
      body: method === 'GET' ? '' : '{}',
    })
    expect(response.status).toBe(404)
    expect(JSON.parse(response.text)).toEqual({
      code: 'bad_route',
      msg: expect.any(String),
      meta: { twirp_invalid_route: `${method} ${path}` },
    })
  })

  test('an undecodable body is malformed', async () => {
    const response = await invoke({
      path: '/twirp/test.v1.TestService/Echo',
      headers: { 'content-type': 'application/protobuf' },
      body: Buffer.from([0x9f, 0x06]),
    })
    expect(response.status).toBe(400)
    expect(JSON.parse(response.text).code).toBe('malformed')
  })

  test('behind a stage and base path', async () => {
    const response = await invoke({
      path: '/prod/api/twirp/test.v1.TestService/Echo',
      headers: twirpJson,
      body: '{"text":"staged"}',
    })
    expect(response.status).toBe(200)
    expect(JSON.parse(response.text).text).toBe('staged')
  })

  test('JSON accepts both field spellings', async () => {
    const snake = await invoke({
      path: '/twirp/test.v1.TestService/Echo',
      headers: twirpJson,
      body: '{"reply_bytes":2}',
    })
    const camel = await invoke({
      path: '/twirp/test.v1.TestService/Echo',
      headers: twirpJson,
      body: '{"replyBytes":2}',
    })
    expect(JSON.parse(snake.text).payload).toBe('Bwc=')
    expect(JSON.parse(camel.text).payload).toBe('Bwc=')
  })

  const canonical = hasCanonicalJson() ? test : test.skip
  canonical('JSON replies use .proto names by default and lowerCamel on request (protobufjs 8.6+)', async () => {
    const body = '{"text":"t"}'
    const original = await invoke({
      path: '/twirp/test.v1.TestService/Echo',
      headers: { ...twirpJson, 'connect-timeout-ms': '5' },
      body,
    })
    expect(Object.keys(JSON.parse(original.text))).toContain('timeout_ms')
    const camel = await invoke({
      path: '/twirp/test.v1.TestService/Echo',
      headers: twirpJson,
      body,
      handler: createTestLambda({ twirpLowerCamelJson: true }),
    })
    expect(Object.keys(JSON.parse(camel.text))).toContain('timeoutMs')
  })
})
