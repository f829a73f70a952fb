import type { HttpResponse } from '../../../src/event/shape.js'
import { frontDoorMaxBytes } from '../../../src/event/shape.js'
import { base64Length, toBase64, writeLambdaResult } from '../../../src/event/write.js'

describe('writeLambdaResult', () => {
  // An empty message frame, 00 00 00 00 00: base64 AAAAAAA=
  const binary = (): HttpResponse => ({
    status: 200,
    headers: { 'content-type': 'application/grpc-web+proto', 'x-one': '1' },
    body: Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00]),
  })

  test('HTTP API v2: plain headers, base64 body', () => {
    expect(writeLambdaResult('v2', binary())).toStrictEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/grpc-web+proto', 'x-one': '1' },
      body: 'AAAAAAA=',
      isBase64Encoded: true,
    })
  })

  test('Function URL: the same as v2', () => {
    expect(writeLambdaResult('url', binary())).toStrictEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/grpc-web+proto', 'x-one': '1' },
      body: 'AAAAAAA=',
      isBase64Encoded: true,
    })
  })

  test('REST v1: headers and multiValueHeaders mirrored', () => {
    expect(writeLambdaResult('v1', binary())).toStrictEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/grpc-web+proto', 'x-one': '1' },
      multiValueHeaders: { 'content-type': ['application/grpc-web+proto'], 'x-one': ['1'] },
      body: 'AAAAAAA=',
      isBase64Encoded: true,
    })
  })

  test('ALB single-value: statusDescription and headers only', () => {
    expect(writeLambdaResult('alb', binary())).toStrictEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-one': '1' },
      body: 'AAAAAAA=',
      isBase64Encoded: true,
    })
  })

  test('ALB multi-value: statusDescription and multiValueHeaders only', () => {
    expect(writeLambdaResult('alb-multi', binary())).toStrictEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: { 'content-type': ['application/grpc-web+proto'], 'x-one': ['1'] },
      body: 'AAAAAAA=',
      isBase64Encoded: true,
    })
  })

  test('a text body travels as it is, isBase64Encoded false', () => {
    const result = writeLambdaResult('alb', {
      status: 405,
      headers: { allow: 'POST, OPTIONS' },
      body: 'method GET not allowed',
    })
    expect(result).toStrictEqual({
      statusCode: 405,
      statusDescription: '405 Method Not Allowed',
      headers: { allow: 'POST, OPTIONS' },
      body: 'method GET not allowed',
      isBase64Encoded: false,
    })
  })

  test.each(['v1', 'v2', 'url', 'alb', 'alb-multi'] as const)(
    '%s: an empty binary body is "" and not base64-flagged',
    (shape) => {
      const result = writeLambdaResult(shape, { status: 200, headers: {}, body: new Uint8Array(0) })
      expect(result.body).toBe('')
      expect(result.isBase64Encoded).toBe(false)
    },
  )

  test('ALB reason phrases: 204 No Content, 415 Unsupported Media Type, a code without a phrase stays bare', () => {
    expect(writeLambdaResult('alb', { status: 204, headers: {}, body: '' })).toMatchObject({
      statusDescription: '204 No Content',
    })
    expect(writeLambdaResult('alb-multi', { status: 415, headers: {}, body: '' })).toMatchObject({
      statusDescription: '415 Unsupported Media Type',
    })
    expect(writeLambdaResult('alb', { status: 418, headers: {}, body: '' })).toMatchObject({ statusDescription: '418' })
  })

  test('a subarray body is encoded from its own bytes only', () => {
    const backing = Uint8Array.from([0xff, 0x68, 0x69, 0xff])
    expect(writeLambdaResult('v2', { status: 200, headers: {}, body: backing.subarray(1, 3) }).body).toBe('aGk=')
  })
})

describe('size helpers', () => {
  test('frontDoorMaxBytes: 1 MiB for ALB, 6 MiB otherwise, less 16 KiB of headroom', () => {
    expect(frontDoorMaxBytes('alb')).toBe(1_048_576 - 16_384)
    expect(frontDoorMaxBytes('alb-multi')).toBe(1_048_576 - 16_384)
    expect(frontDoorMaxBytes('v1')).toBe(6_291_456 - 16_384)
    expect(frontDoorMaxBytes('v2')).toBe(6_291_456 - 16_384)
    expect(frontDoorMaxBytes('url')).toBe(6_291_456 - 16_384)
  })

  test('base64Length is the padded length', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 900_000].map(base64Length)).toEqual([0, 4, 4, 4, 8, 8, 8, 1_200_000])
  })

  test('toBase64 is standard padded base64', () => {
    expect(toBase64(Uint8Array.from([0xfb, 0xff]))).toBe('+/8=')
  })
})
