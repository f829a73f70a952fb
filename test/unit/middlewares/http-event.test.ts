import { Readable } from 'node:stream'
import { grpcHttpEvent } from '../../../src/middlewares/http-event.js'
import { getState } from '../../../src/middlewares/state.js'
import { NonRpcResponse } from '../../../src/protocol/detect.js'
import { middyRequest } from './middy-request.js'

describe('grpcHttpEvent', () => {
  test('before: the normalized request and the streamifyResponse option go into the state', () => {
    const request = middyRequest(new Uint8Array([1, 2]))
    grpcHttpEvent({ streamifyResponse: true }).before?.(request)
    const state = getState(request)
    expect(state?.streamifyResponse).toBe(true)
    expect(state?.http).toMatchObject({ shape: 'v2', method: 'POST', path: '/unit.v1.Items/Get' })
    expect([...(state?.http.body ?? [])]).toEqual([1, 2])
  })

  test('before: what is not an HTTP event is an invocation error; a broken HTTP event a 400', () => {
    const sqs = { event: { Records: [] }, context: {} } as never
    expect(() => grpcHttpEvent().before?.(sqs)).toThrow(TypeError)
    const broken = middyRequest(new Uint8Array(0))
    ;(broken.event as { rawPath: unknown }).rawPath = 5
    ;(broken.event as { requestContext: { http: { path: unknown } } }).requestContext.http.path = 5
    expect(() => grpcHttpEvent().before?.(broken)).toThrow(NonRpcResponse)
    expect(getState(broken)?.http.path).toBe('')
  })

  test("after: the response in the event's shape, base64 body", () => {
    const middleware = grpcHttpEvent()
    const request = middyRequest(new Uint8Array(0))
    middleware.before?.(request)
    const state = getState(request)
    if (state === undefined) throw new Error('no state')
    state.response = { status: 200, headers: { 'content-type': 'application/grpc-web' }, body: new Uint8Array([0xff]) }
    middleware.after?.(request)
    expect(request.response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/grpc-web' },
      body: '/w==',
      isBase64Encoded: true,
    })
  })

  test('after, streamified: raw bytes in a Readable, no base64', async () => {
    const middleware = grpcHttpEvent({ streamifyResponse: true })
    const request = middyRequest(new Uint8Array(0))
    middleware.before?.(request)
    const state = getState(request)
    if (state === undefined) throw new Error('no state')
    state.response = { status: 200, headers: {}, body: new Uint8Array([0xff]) }
    middleware.after?.(request)
    const { body } = request.response as { body: Readable }
    expect(body).toBeInstanceOf(Readable)
    const chunks: number[] = []
    for await (const chunk of body) chunks.push(...(chunk as Uint8Array))
    expect(chunks).toEqual([0xff])
  })

  test("after: the body's memory is handed back once it is base64-encoded, and only then", () => {
    const middleware = grpcHttpEvent()
    const request = middyRequest(new Uint8Array(0))
    middleware.before?.(request)
    const state = getState(request)
    if (state === undefined) throw new Error('no state')
    const body = new Uint8Array([0xff])
    const released: string[] = []
    state.response = {
      status: 200,
      headers: {},
      body,
      releaseBody: () => released.push(Buffer.from(body).toString('hex')),
    }
    middleware.after?.(request)
    expect(released).toEqual(['ff'])
    expect((request.response as { body: string }).body).toBe('/w==')
    // onError runs the same hook: a second run does not hand the memory back twice.
    middleware.onError?.(request)
    expect(released).toEqual(['ff'])
  })

  test('after, streamified: the body is read later by the stream, so its memory is never handed back', () => {
    const middleware = grpcHttpEvent({ streamifyResponse: true })
    const request = middyRequest(new Uint8Array(0))
    middleware.before?.(request)
    const state = getState(request)
    if (state === undefined) throw new Error('no state')
    let released = 0
    state.response = { status: 200, headers: {}, body: new Uint8Array([1]), releaseBody: () => released++ }
    middleware.after?.(request)
    expect(released).toBe(0)
  })

  test('after without a response (another middleware answered) leaves the result alone', () => {
    const middleware = grpcHttpEvent()
    const request = middyRequest(new Uint8Array(0))
    middleware.before?.(request)
    request.response = 'untouched'
    middleware.after?.(request)
    expect(request.response).toBe('untouched')
  })
})
