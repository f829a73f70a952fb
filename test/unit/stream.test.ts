import { jest } from '@jest/globals'
import { Deadline } from '../../src/deadline.js'
import { GrpcError } from '../../src/grpc-error.js'
import { connectStream } from '../../src/protocol/connect-stream.js'
import { grpc } from '../../src/protocol/grpc.js'
import type { StreamWriter } from '../../src/protocol/protocol.js'
import { Status } from '../../src/status.js'
import { collectStream, openStream, toAsyncIterable } from '../../src/stream.js'
import { unitExchange } from './exchange.js'

const connectWriter = connectStream.stream as StreamWriter
const grpcWriter = grpc.stream as StreamWriter
const toError = (thrown: unknown) => GrpcError.from(thrown)
const endFrame = (json: string) => [0x02, 0, 0, 0, Buffer.byteLength(json), ...Buffer.from(json)]

async function* messages(...items: number[][]): AsyncGenerator<Uint8Array> {
  for (const item of items) yield new Uint8Array(item)
}

async function collectBody(body: unknown): Promise<number[]> {
  const bytes: number[] = []
  for await (const chunk of body as AsyncIterable<Uint8Array>) bytes.push(...chunk)
  return bytes
}

describe('collectStream (a buffered front door)', () => {
  test('every message framed, then the end, in one body', async () => {
    const exchange = unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
    const response = await collectStream(
      exchange,
      new Deadline(undefined, undefined),
      connectWriter,
      messages([1], [2, 3]),
      1 << 20,
      toError,
    )
    expect([...(response.body as Uint8Array)]).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 3, ...endFrame('{}')])
  })

  test('gRPC buffered: the status goes into the headers, not a frame', async () => {
    const exchange = unitExchange({ protocol: grpc, contentType: 'application/grpc' })
    const response = await collectStream(
      exchange,
      new Deadline(undefined, undefined),
      grpcWriter,
      messages([1]),
      1 << 20,
      toError,
    )
    expect(response.headers['grpc-status']).toBe('0')
    expect([...(response.body as Uint8Array)]).toEqual([0, 0, 0, 0, 1, 1])
  })

  test('past what the front door carries: RESOURCE_EXHAUSTED ends the stream', async () => {
    const exchange = unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
    const response = await collectStream(
      exchange,
      new Deadline(undefined, undefined),
      connectWriter,
      messages([1], [2]),
      8,
      toError,
    )
    const body = Buffer.from(response.body as Uint8Array)
    expect([...body.subarray(0, 6)]).toEqual([0, 0, 0, 0, 1, 1])
    expect(JSON.parse(body.subarray(11).toString()).error.code).toBe('resource_exhausted')
  })

  test('an error after some messages still ends with its status', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([9])
      throw new GrpcError(Status.ABORTED, 'stop')
    }
    const exchange = unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
    const response = await collectStream(
      exchange,
      new Deadline(undefined, undefined),
      connectWriter,
      failing(),
      1 << 20,
      toError,
    )
    expect([...(response.body as Uint8Array)]).toEqual([
      0,
      0,
      0,
      0,
      1,
      9,
      ...endFrame('{"error":{"code":"aborted","message":"stop"}}'),
    ])
  })
})

describe('openStream (Lambda response streaming)', () => {
  afterEach(() => {
    jest.useRealTimers()
  })

  test('frames leave one by one, the end last', async () => {
    const exchange = unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
    const response = await openStream(
      exchange,
      new Deadline(undefined, undefined),
      connectWriter,
      messages([1], [2]),
      toError,
    )
    expect(response.status).toBe(200)
    expect(await collectBody(response.body)).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 2, ...endFrame('{}')])
  })

  test('the deadline ends a slow stream with DEADLINE_EXCEEDED', async () => {
    jest.useFakeTimers({ now: 0 })
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1])
      await new Promise(() => undefined)
    }
    const exchange = unitExchange({ protocol: connectStream, contentType: 'application/connect+proto' })
    const response = await openStream(exchange, new Deadline(50, undefined), connectWriter, slow(), toError)
    const body = collectBody(response.body)
    await jest.advanceTimersByTimeAsync(50)
    expect(await body).toEqual([
      0,
      0,
      0,
      0,
      1,
      1,
      ...endFrame('{"error":{"code":"deadline_exceeded","message":"deadline exceeded"}}'),
    ])
  })
})

describe('toAsyncIterable', () => {
  test('an async iterable as it is, an array as one', async () => {
    const source = messages([1])
    expect(toAsyncIterable(source)).toBe(source)
    const items: unknown[] = []
    for await (const item of toAsyncIterable([1, 2])) items.push(item)
    expect(items).toEqual([1, 2])
  })

  test('anything else is INTERNAL', () => {
    expect(() => toAsyncIterable({})).toThrow(
      'a server-streaming or bidirectional handler must return an AsyncIterable of messages',
    )
  })
})
