import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { DescService } from '@bufbuild/protobuf'
import { createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import {
  type DevServer,
  createDevServer,
  createLambdaContext,
  fromLambdaResult,
  installAwsLambdaGlobal,
  toLambdaEvent,
} from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import { type GrpcEvent, type GrpcFramingOptions, grpcFraming, grpcRouter } from '../src/index.js'
import { loadClientRegistry } from './support/client-schema.js'
import { frame, readFrames } from './support/frames.js'
import { streamifiedMiddy } from './support/streaming-service.js'

/**
 * Request streams on the wire, byte by byte, through the whole middleware: every protocol's framing of several
 * request messages, the limits one message and one byte over, bad input raised where the handler reads it.
 */
installAwsLambdaGlobal()
const here = dirname(fileURLToPath(import.meta.url))
const root = protobuf.loadSync(join(here, '..', 'examples', 'upload', 'upload.proto'))
const Uploader = root.lookupService('upload.v1.Uploader')
const Chunk = root.lookupType('upload.v1.Chunk')
const Summary = root.lookupType('upload.v1.Summary')
const Ack = root.lookupType('upload.v1.Ack')
const uploader = loadClientRegistry('examples/upload').getService('upload.v1.Uploader') as DescService

type ChunkMessage = { seq: number; data: Uint8Array }

/** The seqs each call's handler read before its iteration ended, newest call last. */
const seen: number[][] = []

const handlers = {
  async Upload(event: GrpcEvent<ChunkMessage, unknown, 'client_streaming'>) {
    const seqs: number[] = []
    seen.push(seqs)
    let bytes = 0
    for await (const chunk of event.messages) {
      seqs.push(chunk.seq)
      bytes += chunk.data.length
    }
    return { chunks: seqs.length, bytes, seqs }
  },
  async *Acknowledge(event: GrpcEvent<ChunkMessage, unknown, 'bidi_streaming'>) {
    const seqs: number[] = []
    seen.push(seqs)
    for await (const chunk of event.messages) {
      seqs.push(chunk.seq)
      yield { seq: chunk.seq, bytes: chunk.data.length }
    }
  },
}

function createLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy()
    .use(grpcFraming({ service: Uploader, logger: false, ...options }))
    .handler(grpcRouter(handlers as never))
}

const chunk = (seq: number, size = 4) =>
  Buffer.from(Chunk.encode({ seq, data: new Uint8Array(size).fill(seq) }).finish())
const frames = (...seqs: number[]) => Buffer.concat(seqs.map((seq) => frame(0, chunk(seq))))

async function call(
  lambda: (event: never, context: never) => Promise<unknown>,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array,
  shape: EventShape = 'v2',
) {
  const event = toLambdaEvent(
    { method: 'POST', url: `/upload.v1.Uploader/${method}`, headers: Object.entries(headers), body },
    shape,
  )
  return fromLambdaResult(await lambda(event as never, createLambdaContext(10_000) as never), shape)
}

const grpcWeb = { 'content-type': 'application/grpc-web+proto' }
const connectProto = { 'content-type': 'application/connect+proto' }

/** gRPC-Web: the message frames and the trailer block's fields. */
function readGrpcWeb(body: Buffer) {
  const all = readFrames(body)
  const trailer = all.find((f) => f.flags === 0x80)?.payload.toString('latin1') ?? ''
  const fields = Object.fromEntries(
    trailer
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  )
  return { messages: all.filter((f) => f.flags === 0).map((f) => f.payload), fields }
}

/** Connect streaming: the message frames and the end-stream JSON. */
function readConnect(body: Buffer) {
  const all = readFrames(body)
  const end = all.find((f) => f.flags === 0x02)
  return {
    messages: all.filter((f) => f.flags === 0).map((f) => f.payload),
    end: JSON.parse(end?.payload.toString() ?? ''),
  }
}

const summary = (bytes: Buffer) => Summary.toObject(Summary.decode(bytes), { longs: Number, arrays: true })

describe('the protocols carry several request messages', () => {
  const lambda = createLambda()

  test('gRPC-Web binary: every data frame, in order', async () => {
    const response = await call(lambda, 'Upload', grpcWeb, frames(3, 1, 2))
    const { messages, fields } = readGrpcWeb(response.body)
    expect(fields['grpc-status']).toBe('0')
    expect(summary(messages[0])).toEqual({ chunks: 3, bytes: 12, seqs: [3, 1, 2] })
  })

  test('gRPC-Web text: several separately padded base64 chunks, one per frame', async () => {
    const body = [frame(0, chunk(5, 1)), frame(0, chunk(6, 2))].map((f) => f.toString('base64')).join('')
    expect(body).toMatch(/=[A-Za-z0-9+/]/) // the first chunk's padding sits in the middle of the body
    const response = await call(lambda, 'Upload', { 'content-type': 'application/grpc-web-text' }, Buffer.from(body))
    expect(response.headers).toContainEqual(['content-type', 'application/grpc-web-text+proto'])
    const { messages, fields } = readGrpcWeb(Buffer.from(response.body.toString('latin1'), 'base64'))
    expect(fields['grpc-status']).toBe('0')
    expect(summary(messages[0])).toEqual({ chunks: 2, bytes: 3, seqs: [5, 6] })
  })

  test('Connect streaming with connect-content-encoding: compressed and plain messages mixed', async () => {
    const body = Buffer.concat([frame(1, gzipSync(chunk(1))), frame(0, chunk(2)), frame(1, gzipSync(chunk(3)))])
    const response = await call(lambda, 'Upload', { ...connectProto, 'connect-content-encoding': 'gzip' }, body)
    const { messages, end } = readConnect(response.body)
    expect(end).toEqual({})
    expect(summary(messages[0])).toEqual({ chunks: 3, bytes: 12, seqs: [1, 2, 3] })
  })

  test('zero messages, and a bidi call: one reply per request, in order', async () => {
    const empty = readConnect((await call(lambda, 'Upload', connectProto, new Uint8Array(0))).body)
    // With defaults: protobufjs 7 writes the zero fields the handler set, protobufjs 8 leaves them out.
    const { chunks, bytes, seqs } = Summary.toObject(Summary.decode(empty.messages[0]), {
      longs: Number,
      defaults: true,
    })
    expect({ chunks, bytes, seqs }).toEqual({ chunks: 0, bytes: 0, seqs: [] })
    const bidi = readConnect((await call(lambda, 'Acknowledge', connectProto, frames(4, 8))).body)
    expect(bidi.end).toEqual({})
    expect(bidi.messages.map((m) => Ack.toObject(Ack.decode(m)))).toEqual([
      { seq: 4, bytes: 4 },
      { seq: 8, bytes: 4 },
    ])
  })

  test('Connect unary and Twirp cannot carry a request stream: UNIMPLEMENTED', async () => {
    const unary = await call(lambda, 'Upload', { 'content-type': 'application/proto' }, chunk(1))
    expect(unary.status).toBe(501)
    expect(JSON.parse(unary.body.toString()).code).toBe('unimplemented')
    const event = toLambdaEvent(
      {
        method: 'POST',
        url: '/twirp/upload.v1.Uploader/Upload',
        headers: [['content-type', 'application/protobuf']],
        body: chunk(1),
      },
      'v2',
    )
    const twirp = fromLambdaResult(await lambda(event as never, createLambdaContext(10_000) as never), 'v2')
    expect([twirp.status, JSON.parse(twirp.body.toString()).code]).toEqual([501, 'unimplemented'])
  })

  test('a plain handler with `method`, no router: event.messages, event.message undefined, event.grpc', async () => {
    const single = middy()
      .use(grpcFraming({ service: Uploader, method: 'Upload', logger: false }))
      .handler(async (event: GrpcEvent) => {
        const seqs: number[] = []
        for await (const message of event.messages) seqs.push(message.seq)
        return { chunks: seqs.length, seqs, sha256: `${event.message === undefined} ${event.grpc.method.name}` }
      })
    const { messages } = readGrpcWeb((await call(single as never, 'Upload', grpcWeb, frames(2, 9))).body)
    expect(summary(messages[0])).toEqual({ chunks: 2, seqs: [2, 9], sha256: 'true Upload' })
  })
})

describe('limits, one over', () => {
  test('readMaxMessages: the limit passes; one more message is RESOURCE_EXHAUSTED after the handler read the rest', async () => {
    const lambda = createLambda({ readMaxMessages: 3 })
    const ok = readGrpcWeb((await call(lambda, 'Upload', grpcWeb, frames(1, 2, 3))).body)
    expect(summary(ok.messages[0]).seqs).toEqual([1, 2, 3])
    const over = readGrpcWeb((await call(lambda, 'Upload', grpcWeb, frames(1, 2, 3, 4))).body)
    expect(over.fields['grpc-status']).toBe('8')
    expect(decodeURIComponent(over.fields['grpc-message'])).toBe(
      'request stream has more than 3 messages, the limit (readMaxMessages)',
    )
    expect(seen.at(-1)).toEqual([1, 2, 3])
  })

  test('readMaxBytes: a message of exactly the limit passes; one byte over is RESOURCE_EXHAUSTED', async () => {
    const limit = chunk(1, 20).byteLength
    const lambda = createLambda({ readMaxBytes: limit })
    const ok = readConnect((await call(lambda, 'Upload', connectProto, Buffer.concat([frame(0, chunk(1, 20))]))).body)
    expect(summary(ok.messages[0]).seqs).toEqual([1])
    const body = Buffer.concat([frame(0, chunk(1, 20)), frame(0, chunk(2, 21))])
    const over = readConnect((await call(lambda, 'Upload', connectProto, body)).body)
    expect(over.end.error).toEqual({
      code: 'resource_exhausted',
      message: `message size ${limit + 1} is larger than the limit ${limit}`,
    })
    expect(seen.at(-1)).toEqual([1])
  })

  test('readMaxBytes bounds a compressed message once inflated, one byte over included', async () => {
    const limit = chunk(1, 2000).byteLength
    const lambda = createLambda({ readMaxBytes: limit })
    const headers = { ...connectProto, 'connect-content-encoding': 'gzip' }
    const ok = readConnect((await call(lambda, 'Upload', headers, frame(1, gzipSync(chunk(1, 2000))))).body)
    expect(summary(ok.messages[0]).bytes).toBe(2000)
    const small = gzipSync(chunk(1, 2001))
    expect(small.byteLength).toBeLessThan(limit)
    const over = readConnect((await call(lambda, 'Upload', headers, frame(1, small))).body)
    expect(over.end.error).toEqual({
      code: 'resource_exhausted',
      message: `decompressed message is larger than the limit ${limit}`,
    })
  })
})

describe('bad input is raised where the handler reads it', () => {
  const lambda = createLambda()

  test('a truncated envelope: INVALID_ARGUMENT after the messages before it', async () => {
    const body = Buffer.concat([frames(1, 2), Buffer.from([0, 0, 0, 0, 50, 1, 2])])
    const { fields } = readGrpcWeb((await call(lambda, 'Upload', grpcWeb, body)).body)
    expect(fields['grpc-status']).toBe('3')
    expect(seen.at(-1)).toEqual([1, 2])
  })

  test('a compressed flag without an encoding: INTERNAL after the messages before it', async () => {
    const body = Buffer.concat([frames(1), frame(1, gzipSync(chunk(2)))])
    const { end } = readConnect((await call(lambda, 'Upload', connectProto, body)).body)
    expect(end.error).toEqual({
      code: 'internal',
      message: 'protocol error: compressed message without a negotiated encoding',
    })
    expect(seen.at(-1)).toEqual([1])
  })

  test('an end-of-stream frame in a request, and a message after it: INTERNAL at the frame', async () => {
    const body = Buffer.concat([frames(1), frame(0x02, Buffer.from('{}')), frames(2)])
    const { end } = readConnect((await call(lambda, 'Acknowledge', connectProto, body)).body)
    expect(end.error).toEqual({ code: 'internal', message: 'protocol error: invalid envelope flags 0x2' })
    expect(seen.at(-1)).toEqual([1])
  })

  test('a handler that stops reading early answers normally', async () => {
    const early = middy()
      .use(grpcFraming({ service: Uploader, method: 'Upload', logger: false }))
      .handler(async (event: GrpcEvent) => {
        for await (const message of event.messages) return { seqs: [message.seq] }
        return {}
      })
    const body = Buffer.concat([frames(7), Buffer.from([0, 0, 0, 0, 99])])
    const { messages, fields } = readGrpcWeb((await call(early as never, 'Upload', grpcWeb, body)).body)
    expect(fields['grpc-status']).toBe('0')
    expect(summary(messages[0]).seqs).toEqual([7])
  })
})

describe('a bidi reply through Lambda response streaming (Function URL, RESPONSE_STREAM)', () => {
  let server: DevServer
  beforeAll(async () => {
    const streamed = (await streamifiedMiddy())
      .use(grpcFraming({ service: Uploader, logger: false, streamifyResponse: true }))
      .handler(grpcRouter(handlers as never))
    server = await createDevServer({ handler: streamed as never, eventShape: 'url', logger: false })
  })
  afterAll(() => server.close())

  test.each([
    ['Connect', createConnectTransport],
    ['gRPC-Web', createGrpcWebTransport],
  ])('connect-node %s over HTTP/1.1', async (_, transport) => {
    const client = createClient(uploader, transport({ baseUrl: server.url, httpVersion: '1.1' })) as any
    async function* requests() {
      for (const seq of [3, 1, 2]) yield { seq, data: new Uint8Array(seq) }
    }
    const acks: unknown[] = []
    for await (const ack of client.acknowledge(requests())) acks.push({ seq: ack.seq, bytes: ack.bytes })
    expect(acks).toEqual([
      { seq: 3, bytes: 3 },
      { seq: 1, bytes: 1 },
      { seq: 2, bytes: 2 },
    ])
  })
})
