import type protobuf from 'protobufjs'
import { gzipSync } from 'node:zlib'
import { findRequestCompression } from '../../src/compression.js'
import { protobufjsCodec } from '../../src/codecs/protobufjs.js'
import { encodeEnvelope, flagCompressed, flagEndStream } from '../../src/envelope.js'
import { GrpcError } from '../../src/grpc-error.js'
import { RequestMessages, type RequestMessagesInit, decodeRequestMessages } from '../../src/request-messages.js'
import { Status } from '../../src/status.js'
import { Item, itemBytes } from './schema.js'

const codec = protobufjsCodec(Item)
const item = (name: string) => Item.encode({ name }).finish()
const frames = (...parts: Uint8Array[]) => Buffer.concat(parts)

function init(envelopes: Uint8Array, more: Partial<RequestMessagesInit<unknown>> = {}): RequestMessagesInit<unknown> {
  return {
    envelopes,
    compression: null,
    codec,
    format: 'proto',
    readMaxBytes: 4 * 1024 * 1024,
    readMaxMessages: 10_000,
    ...more,
  }
}

/** The names decoded before the iteration stopped, and the error it stopped with (undefined when it ended). */
function readAll(body: Uint8Array, more: Partial<RequestMessagesInit<unknown>> = {}) {
  const names: string[] = []
  let error: GrpcError | undefined
  try {
    for (const message of decodeRequestMessages(init(body, more))) names.push((message as { name: string }).name)
  } catch (thrown) {
    if (!(thrown instanceof GrpcError)) throw thrown
    error = thrown
  }
  return { names, error }
}

describe('decodeRequestMessages', () => {
  test('every message, in order', () => {
    const body = frames(encodeEnvelope(0, item('a')), encodeEnvelope(0, item('b')), encodeEnvelope(0, item('c')))
    expect(readAll(body)).toEqual({ names: ['a', 'b', 'c'], error: undefined })
  })

  test('an empty body is a stream of zero messages; an empty envelope is one default message', () => {
    expect(readAll(new Uint8Array(0))).toEqual({ names: [], error: undefined })
    expect(readAll(encodeEnvelope(0, new Uint8Array(0)))).toEqual({ names: [''], error: undefined })
  })

  test('each message is decoded when reached: an error after two good messages comes third', () => {
    const good = frames(encodeEnvelope(0, item('a')), encodeEnvelope(0, item('b')))
    const truncated = readAll(frames(good, Uint8Array.from([0, 0, 0, 0, 9, 1, 2])))
    expect(truncated.names).toEqual(['a', 'b'])
    expect(truncated.error).toMatchObject({
      code: Status.INVALID_ARGUMENT,
      message: 'protocol error: envelope declares 9 bytes but 2 follow',
    })
    const cutHeader = readAll(frames(good, Uint8Array.from([0, 0])))
    expect(cutHeader.names).toEqual(['a', 'b'])
    expect(cutHeader.error?.message).toBe('protocol error: incomplete envelope header (2 of 5 bytes)')
    const undecodable = readAll(frames(good, encodeEnvelope(0, Uint8Array.from([0x0f]))))
    expect(undecodable.names).toEqual(['a', 'b'])
    expect(undecodable.error?.code).toBe(Status.INTERNAL)
  })

  test('a compressed flag without a negotiated encoding is INTERNAL, where it is reached', () => {
    const { names, error } = readAll(frames(encodeEnvelope(0, item('a')), encodeEnvelope(flagCompressed, item('b'))))
    expect(names).toEqual(['a'])
    expect(error).toMatchObject({
      code: Status.INTERNAL,
      message: 'protocol error: compressed message without a negotiated encoding',
    })
  })

  test('an end-of-stream frame in a request is INTERNAL, where it is reached; nothing after it is read', () => {
    const body = frames(
      encodeEnvelope(0, item('a')),
      encodeEnvelope(flagEndStream, Buffer.from('{}')),
      encodeEnvelope(0, item('b')),
    )
    const { names, error } = readAll(body)
    expect(names).toEqual(['a'])
    expect(error).toMatchObject({ code: Status.INTERNAL, message: 'protocol error: invalid envelope flags 0x2' })
  })

  test('compressed messages are inflated one by one', () => {
    const gzip = findRequestCompression('gzip')
    const body = frames(encodeEnvelope(flagCompressed, gzipSync(item('a'))), encodeEnvelope(0, item('b')))
    expect(readAll(body, { compression: gzip })).toEqual({ names: ['a', 'b'], error: undefined })
  })

  test('readMaxBytes: a message of exactly the limit passes, one byte over is RESOURCE_EXHAUSTED', () => {
    const atLimit = item('x'.repeat(10)) // 12 bytes
    const overLimit = item('x'.repeat(11)) // 13 bytes
    expect(readAll(frames(encodeEnvelope(0, atLimit), encodeEnvelope(0, atLimit)), { readMaxBytes: 12 }).error).toBe(
      undefined,
    )
    const over = readAll(frames(encodeEnvelope(0, atLimit), encodeEnvelope(0, overLimit)), { readMaxBytes: 12 })
    expect(over.names).toEqual(['x'.repeat(10)])
    expect(over.error).toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: 'message size 13 is larger than the limit 12',
    })
  })

  test('readMaxBytes bounds the inflated size of a compressed message, one byte over included', () => {
    const gzip = findRequestCompression('gzip')
    const atLimit = gzipSync(new Uint8Array(1000))
    const overLimit = gzipSync(new Uint8Array(1001))
    // The compressed envelopes are far smaller than the limit: only the output is over.
    expect(overLimit.byteLength).toBeLessThan(100)
    const ok = readAll(encodeEnvelope(flagCompressed, atLimit), {
      compression: gzip,
      readMaxBytes: 1000,
      format: 'proto',
      codec: { ...codec, decodeBinary: (b) => ({ name: String(b.byteLength) }) },
    })
    expect(ok).toEqual({ names: ['1000'], error: undefined })
    const over = readAll(encodeEnvelope(flagCompressed, overLimit), { compression: gzip, readMaxBytes: 1000 })
    expect(over.error).toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: 'decompressed message is larger than the limit 1000',
    })
  })

  test('readMaxMessages: the limit passes, the message one over is RESOURCE_EXHAUSTED after the others', () => {
    const three = frames(encodeEnvelope(0, item('a')), encodeEnvelope(0, item('b')), encodeEnvelope(0, item('c')))
    expect(readAll(three, { readMaxMessages: 3 })).toEqual({ names: ['a', 'b', 'c'], error: undefined })
    const over = readAll(three, { readMaxMessages: 2 })
    expect(over.names).toEqual(['a', 'b'])
    expect(over.error).toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: 'request stream has more than 2 messages, the limit (readMaxMessages)',
    })
  })

  test('JSON messages', () => {
    const json = frames(
      encodeEnvelope(0, Buffer.from('{"name":"a"}')),
      encodeEnvelope(0, Buffer.from('{"name":"b","count":2}')),
    )
    expect(readAll(json, { format: 'json' })).toEqual({ names: ['a', 'b'], error: undefined })
    const bad = readAll(frames(encodeEnvelope(0, Buffer.from('{"name":"a"}')), encodeEnvelope(0, Buffer.from('{'))), {
      format: 'json',
    })
    expect(bad.names).toEqual(['a'])
    expect(bad.error?.code).toBe(Status.INVALID_ARGUMENT)
  })
})

describe('RequestMessages', () => {
  const body = frames(encodeEnvelope(0, Uint8Array.from(itemBytes)), encodeEnvelope(0, item('b')))

  test('for await gives the decoded messages; a second iteration starts again', async () => {
    const messages = new RequestMessages(init(body))
    const first: unknown[] = []
    for await (const message of messages) first.push((message as protobuf.Message).toJSON())
    const second: unknown[] = []
    for await (const message of messages) second.push((message as protobuf.Message).toJSON())
    expect(first).toEqual([{ name: 'ab', count: 3 }, { name: 'b' }])
    expect(second).toEqual(first)
  })

  test('a handler may stop early: the rest is never decoded', async () => {
    const poisoned = frames(body, Uint8Array.from([0, 0, 0, 0, 99]))
    const names: string[] = []
    for await (const message of new RequestMessages(init(poisoned))) {
      names.push((message as { name: string }).name)
      break
    }
    expect(names).toEqual(['ab'])
  })

  test('the error is thrown from the iterator, after the messages before it', async () => {
    const names: string[] = []
    const reading = (async () => {
      for await (const message of new RequestMessages(init(frames(body, Uint8Array.from([1, 0, 0, 0, 0]))))) {
        names.push((message as { name: string }).name)
      }
    })()
    await expect(reading).rejects.toMatchObject({ code: Status.INTERNAL })
    expect(names).toEqual(['ab', 'b'])
  })

  test('clones and serializes to an empty object (loggers)', () => {
    const messages = new RequestMessages(init(body))
    expect(structuredClone(messages)).toEqual({})
    expect(JSON.stringify({ messages })).toBe('{"messages":{}}')
  })
})
