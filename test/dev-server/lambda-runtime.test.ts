import { Writable } from 'node:stream'
import { jest } from '@jest/globals'
import { createLambdaContext, invokeBuffered, invokeStreaming } from '../../src/dev-server/lambda-runtime.js'
import type { LambdaResponseStream } from '../../src/dev-server/streaming.js'

const context = () => createLambdaContext(100)

afterEach(() => {
  jest.useRealTimers()
})

describe('invokeBuffered: results as the Lambda runtime takes them', () => {
  test('a returned promise, a callback, a plain value of a handler with fewer than three parameters', async () => {
    expect(await invokeBuffered(async () => 'async', {}, context(), 100)).toEqual({ result: 'async' })
    expect(await invokeBuffered((_e, _c, callback) => callback(null, 'callback'), {}, context(), 100)).toEqual({
      result: 'callback',
    })
    expect(await invokeBuffered((() => 'plain') as never, {}, context(), 100)).toEqual({ result: 'plain' })
  })

  test('a thrown error, a rejected promise, an error passed to the callback: the reason and its stack', async () => {
    const thrown = await invokeBuffered(
      () => {
        throw new TypeError('sync')
      },
      {},
      context(),
      100,
    )
    expect(thrown).toMatchObject({
      error: 'the handler threw TypeError: sync',
      stack: expect.stringMatching(/^TypeError: sync\n/),
    })
    expect(await invokeBuffered(async () => Promise.reject(new Error('async')), {}, context(), 100)).toMatchObject({
      error: 'the handler threw Error: async',
    })
    expect(await invokeBuffered((_e, _c, callback) => callback('text'), {}, context(), 100)).toEqual({
      error: 'the handler threw text',
      stack: undefined,
    })
  })

  test('a handler that outlives timeoutMs fails as "Task timed out"', async () => {
    jest.useFakeTimers()
    const outcome = invokeBuffered(() => new Promise(() => undefined), {}, context(), 2500)
    jest.advanceTimersByTime(2500)
    expect(await outcome).toEqual({ error: 'Task timed out after 2.50 seconds' })
  })
})

test('createLambdaContext: getRemainingTimeInMillis counts down from timeoutMs', () => {
  jest.useFakeTimers()
  const lambda = createLambdaContext(5000, 'fn')
  expect(lambda.getRemainingTimeInMillis()).toBe(5000)
  jest.advanceTimersByTime(1200)
  expect(lambda.getRemainingTimeInMillis()).toBe(3800)
  jest.advanceTimersByTime(10_000)
  expect(lambda.getRemainingTimeInMillis()).toBe(0)
  expect([lambda.functionName, lambda.invokedFunctionArn]).toEqual([
    'fn',
    'arn:aws:lambda:us-east-1:123456789012:function:fn',
  ])
})

describe('invokeStreaming', () => {
  const collect = (): { stream: LambdaResponseStream; chunks: string[] } => {
    const chunks: string[] = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString())
        callback()
      },
    }) as LambdaResponseStream
    return { stream, chunks }
  }

  test('ends when the handler has resolved and the stream has flushed; ends the stream for it', async () => {
    const { stream, chunks } = collect()
    const outcome = await invokeStreaming(async (_event, out: any) => out.write('a'), {}, stream, context(), 1000)
    expect(outcome).toEqual({ result: undefined })
    expect([chunks, stream.writableFinished]).toEqual([['a'], true])
  })

  test('a handler that throws, and one that outlives timeoutMs', async () => {
    expect(
      await invokeStreaming(
        async () => {
          throw new Error('mid-stream')
        },
        {},
        collect().stream,
        context(),
        1000,
      ),
    ).toMatchObject({ error: 'the handler threw Error: mid-stream' })
    jest.useFakeTimers()
    const outcome = invokeStreaming(() => new Promise(() => undefined), {}, collect().stream, context(), 100)
    jest.advanceTimersByTime(100)
    expect(await outcome).toEqual({ error: 'Task timed out after 0.10 seconds' })
  })
})
