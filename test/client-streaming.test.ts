import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { type DevServer, createDevServer } from '../src/dev-server/index.js'
import type { EventShape } from '../src/event/shape.js'
import { loadClientRegistry } from './support/client-schema.js'
import { hasGrpcio } from './support/grpcio.js'
import type { LambdaFunction } from './support/gateway.js'

/**
 * Client streaming and half-duplex bidi with real clients, through every Lambda front door (the dev server imitating
 * each event shape), served by the upload example (examples/upload/handler.js) as users deploy it.
 */
const here = dirname(fileURLToPath(import.meta.url))
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const uploader = loadClientRegistry('examples/upload').getService('upload.v1.Uploader') as DescService
// The native gRPC clients have no code generation here: their messages are encoded with protobufjs.
const uploadRoot = protobuf.loadSync(join(here, '..', 'examples', 'upload', 'upload.proto'))
const Chunk = uploadRoot.lookupType('upload.v1.Chunk')
const Summary = uploadRoot.lookupType('upload.v1.Summary')
const Ack = uploadRoot.lookupType('upload.v1.Ack')

/** Out of numeric order on purpose: the summary's seqs show the order the handler read them in. */
const chunks = [7, 3, 9, 1, 4].map((seq) => ({ seq, data: new Uint8Array(100 + seq).fill(seq) }))
const expected = {
  chunks: chunks.length,
  bytes: chunks.reduce((sum, c) => sum + c.data.byteLength, 0),
  sha256: createHash('sha256')
    .update(Buffer.concat(chunks.map((c) => c.data)))
    .digest('hex'),
  seqs: chunks.map((c) => c.seq),
}
const expectedAcks = chunks.map((c) => ({ seq: c.seq, bytes: c.data.byteLength }))

async function* send<T>(items: T[]): AsyncGenerator<T> {
  yield* items
}

const transports = {
  'Connect proto': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1' }),
  'Connect JSON': (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false }),
  'gRPC-Web': (baseUrl: string) => createGrpcWebTransport({ baseUrl, httpVersion: '1.1' }),
}
type TransportName = keyof typeof transports

function summaryOf(reply: { chunks: number; bytes: bigint | number | protobuf.Long; sha256: string; seqs: number[] }) {
  return { chunks: reply.chunks, bytes: Number(reply.bytes), sha256: reply.sha256, seqs: [...reply.seqs] }
}

let handler: LambdaFunction
beforeAll(async () => {
  // The example is plain JavaScript, as users deploy it.
  handler = ((await import('../examples/upload/handler.js' as string)) as { handler: LambdaFunction }).handler
})

describe.each(shapes)('through a %s event', (shape) => {
  let server: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: handler as never, eventShape: shape, logger: false })
  })
  afterAll(() => server.close())

  describe.each(Object.keys(transports) as TransportName[])('connect-node %s over HTTP/1.1', (name) => {
    test('a client stream reaches the handler with every message, in order', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      expect(summaryOf(await client.upload(send(chunks)))).toEqual(expected)
    })

    test('zero messages are a valid client stream', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const empty = createHash('sha256').digest('hex')
      expect(summaryOf(await client.upload(send([])))).toEqual({ chunks: 0, bytes: 0, sha256: empty, seqs: [] })
    })

    test("the handler's error after some messages reaches the client", async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const error = await client
        .upload(send([chunks[0], { seq: 5, data: new Uint8Array(0) }, chunks[1]]))
        .catch((e: unknown) => ConnectError.from(e))
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, 'chunk 5 is empty'])
    })

    test('a half-duplex bidi call: every request sent, then every reply', async () => {
      const client = createClient(uploader, transports[name](server.url)) as any
      const acks: unknown[] = []
      for await (const ack of client.acknowledge(send(chunks))) acks.push({ seq: ack.seq, bytes: ack.bytes })
      expect(acks).toEqual(expectedAcks)
    })
  })

  describe('@grpc/grpc-js over h2c (the dev server sends real trailers)', () => {
    let client: grpc.Client
    beforeAll(() => {
      client = new grpc.Client(server.url.replace('http://', ''), grpc.credentials.createInsecure())
    })
    afterAll(() => client.close())
    const serialize = (message: object) => Buffer.from(Chunk.encode(message).finish())

    test('a client stream reaches the handler with every message, in order', async () => {
      const reply = await new Promise<any>((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          '/upload.v1.Uploader/Upload',
          serialize,
          (bytes: Buffer) => Summary.toObject(Summary.decode(bytes), { longs: Number, arrays: true }),
          (error, value) => (error ? reject(error) : resolve(value)),
        )
        for (const chunk of chunks) call.write(chunk)
        call.end()
      })
      expect(summaryOf(reply)).toEqual(expected)
    })

    test('a bidi call: every request sent and half-closed, then every reply', async () => {
      const call = client.makeBidiStreamRequest('/upload.v1.Uploader/Acknowledge', serialize, (bytes: Buffer) =>
        Ack.toObject(Ack.decode(bytes)),
      )
      for (const chunk of chunks) call.write(chunk)
      call.end()
      const acks: unknown[] = []
      for await (const ack of call) acks.push(ack)
      expect(acks).toEqual(expectedAcks)
    })
  })

  const grpcioTest = hasGrpcio ? test : test.skip
  grpcioTest('python3-grpcio over h2c: a client stream and a bidi call', async () => {
    const run = await promisify(execFile)(
      '/usr/bin/python3',
      [
        join(here, 'support', 'grpcio_streams.py'),
        server.url.replace('http://', ''),
        '/upload.v1.Uploader/Upload',
        '/upload.v1.Uploader/Acknowledge',
        ...chunks.map((chunk) => Buffer.from(Chunk.encode(chunk).finish()).toString('hex')),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout) as { reply: string; replies: string[] }
    const reply = Summary.toObject(Summary.decode(Buffer.from(out.reply, 'hex')), { longs: Number, arrays: true })
    expect(summaryOf(reply as never)).toEqual(expected)
    expect(out.replies.map((hex) => Ack.toObject(Ack.decode(Buffer.from(hex, 'hex'))))).toEqual(expectedAcks)
  })
})

describe('a bidi client that waits for a reply before sending its next message', () => {
  let server: DevServer
  beforeAll(async () => {
    server = await createDevServer({ handler: handler as never, eventShape: 'v2', logger: false })
  })
  afterAll(() => server.close())

  test('waits until its deadline: no reply leaves before the whole request arrived', async () => {
    const client = createClient(uploader, transports['Connect proto'](server.url)) as any
    let firstReply: () => void = () => undefined
    const replied = new Promise<void>((resolve) => {
      firstReply = resolve
    })
    // Full-duplex style: the second chunk is sent only once the first acknowledgement arrived.
    async function* pingPong() {
      yield chunks[0]
      await replied
      yield chunks[1]
    }
    const acks: unknown[] = []
    const error = await (async () => {
      for await (const ack of client.acknowledge(pingPong(), { timeoutMs: 300 })) {
        acks.push(ack)
        firstReply()
      }
    })().catch((e: unknown) => ConnectError.from(e))
    expect(acks).toEqual([])
    expect((error as ConnectError).code).toBe(Code.DeadlineExceeded)
  })
})
