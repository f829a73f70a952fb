import { encodeEnvelope } from '../../src/envelope.js'
import { encodeTrailerFrame } from '../../src/protocol/trailer.js'
import { describeStatus, dumpMessage, findRpcStatus, redactHeader } from '../../src/dev-server/inspect.js'
import { http1Call } from '../support/dev-clients.js'
import { createStarter } from './start.js'

const { start, closeAll } = createStarter()
afterAll(closeAll)

describe('redactHeader', () => {
  test.each([
    ['authorization', 'Bearer s3cret'],
    ['Authorization', 'Bearer s3cret'],
    ['proxy-authorization', 'Basic s3cret'],
    ['cookie', 'session=s3cret'],
    ['set-cookie', 'session=s3cret; HttpOnly'],
    ['x-token-bin', 's3cretAA'],
    ['grpc-status-details-bin', 's3cretAA'],
  ])('%s values are replaced by their length', (name, value) => {
    expect(redactHeader(name, value)).toBe(`[redacted, ${value.length} bytes]`)
  })

  test('other values are shown, truncated at 200 characters', () => {
    expect(redactHeader('x-user', 'ada')).toBe('ada')
    expect(redactHeader('x-long', 'a'.repeat(300))).toBe(`${'a'.repeat(200)}…`)
  })
})

describe('dumpMessage and findRpcStatus read frames with the core', () => {
  const body = Buffer.concat([
    encodeEnvelope(0, new Uint8Array([0x0a, 0x02, 0x68, 0x69])),
    encodeTrailerFrame({ 'grpc-status': '5', 'grpc-message': 'no%20such', 'x-key-bin': 'c2VjcmV0' }),
  ])

  test('gRPC-Web: each frame, the trailer block as text with -bin values redacted', () => {
    expect(dumpMessage('<', 'grpc-web', 'application/grpc-web', [], body)).toEqual([
      '  < frame flags=0x00 length=4: 0a 02 68 69',
      `  < frame flags=0x80 trailer length=${body.byteLength - 14} "grpc-status: 5\\r\\ngrpc-message: no%20such\\r\\nx-key-bin: [redacted, 8 bytes]\\r\\n"`,
    ])
    expect(findRpcStatus('grpc-web', [], body)).toEqual({ code: 5, message: 'no such' })
    expect(describeStatus(200, findRpcStatus('grpc-web', [], body))).toBe('grpc-status 5 NOT_FOUND "no such"')
  })

  test('gRPC-Web text: decoded with the core (separately padded chunks), then read the same way', () => {
    const text = Buffer.from(
      `${Buffer.from(body.subarray(0, 9)).toString('base64')}${Buffer.from(body.subarray(9)).toString('base64')}`,
    )
    expect(findRpcStatus('grpc-web-text', [], text)).toEqual({ code: 5, message: 'no such' })
    expect(dumpMessage('<', 'grpc-web-text', 'application/grpc-web-text', [], text)[0]).toBe(
      '  < frame flags=0x00 length=4: 0a 02 68 69',
    )
  })

  test('an incomplete frame is reported as leftover bytes', () => {
    expect(dumpMessage('>', 'grpc', 'application/grpc', [], Buffer.from([0, 0, 0, 0, 9, 1, 2]))).toEqual([
      '  > 7 bytes of an incomplete frame: 00 00 00 00 09 01 02',
    ])
  })
})

test('verbose: authorization, cookie, set-cookie and -bin values never reach the log', async () => {
  const { server, logs } = await start({
    verbose: true,
    handler: async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain', 'x-reply-bin': 'cmVwbHlzZWNyZXQ' },
      cookies: ['session=replysecret'],
      body: 'ok',
    }),
  })
  await http1Call(server.url, {
    method: 'GET',
    path: '/x',
    headers: { authorization: 'Bearer tokensecret', cookie: 'session=cookiesecret', 'x-key-bin': 'Ymluc2VjcmV0' },
  })
  const dump = logs.join('\n')
  for (const secret of ['tokensecret', 'cookiesecret', 'Ymluc2VjcmV0', 'replysecret', 'cmVwbHlzZWNyZXQ'])
    expect(dump).not.toContain(secret)
  expect(dump).toContain('  > authorization: [redacted, 18 bytes]')
  expect(dump).toContain('  > cookie: [redacted, 20 bytes]')
  expect(dump).toContain('  > x-key-bin: [redacted, 12 bytes]')
  expect(dump).toContain('  < set-cookie: [redacted, 19 bytes]')
  expect(dump).toContain('  < x-reply-bin: [redacted, 15 bytes]')
})
