import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { DescService } from '@bufbuild/protobuf'
import type * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { loadClientRegistry } from './client-schema.js'

/**
 * Real clients calling the upload example (examples/upload): `Upload`, a client stream, and `Acknowledge`, a
 * half-duplex bidi stream. Shared by test/client-streaming.test.ts and the client matrix.
 */
const here = dirname(fileURLToPath(import.meta.url))
export const uploaderDesc = loadClientRegistry('examples/upload').getService('upload.v1.Uploader') as DescService
// The native gRPC clients have no code generation here: their messages are encoded with protobufjs.
const uploadRoot = protobuf.loadSync(join(here, '..', '..', 'examples', 'upload', 'upload.proto'))
export const Chunk = uploadRoot.lookupType('upload.v1.Chunk')
export const Summary = uploadRoot.lookupType('upload.v1.Summary')
export const Ack = uploadRoot.lookupType('upload.v1.Ack')

export interface SummaryValue {
  chunks: number
  bytes: number
  sha256: string
  seqs: number[]
}

/** Out of numeric order on purpose: the summary's seqs show the order the handler read them in. */
export const chunks = [7, 3, 9, 1, 4].map((seq) => ({ seq, data: new Uint8Array(100 + seq).fill(seq) }))
export const expectedSummary: SummaryValue = {
  chunks: chunks.length,
  bytes: chunks.reduce((sum, c) => sum + c.data.byteLength, 0),
  sha256: createHash('sha256')
    .update(Buffer.concat(chunks.map((c) => c.data)))
    .digest('hex'),
  seqs: chunks.map((c) => c.seq),
}
export const expectedAcks = chunks.map((c) => ({ seq: c.seq, bytes: c.data.byteLength }))

export async function* send<T>(items: T[]): AsyncGenerator<T> {
  yield* items
}

export function summaryOf(reply: {
  chunks: number
  bytes: bigint | number | protobuf.Long
  sha256: string
  seqs: number[]
}): SummaryValue {
  return { chunks: reply.chunks, bytes: Number(reply.bytes), sha256: reply.sha256, seqs: [...reply.seqs] }
}

const serialize = (message: object) => Buffer.from(Chunk.encode(message).finish())

/** @grpc/grpc-js: a client stream of `items`, then its one reply. */
export function uploadWithGrpcJs(client: grpc.Client, items: object[]): Promise<SummaryValue> {
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      '/upload.v1.Uploader/Upload',
      serialize,
      (bytes: Buffer) => summaryOf(Summary.toObject(Summary.decode(bytes), { longs: Number, arrays: true }) as never),
      (error, value) => (error ? reject(error) : resolve(value as SummaryValue)),
    )
    for (const item of items) call.write(item)
    call.end()
  })
}

/** @grpc/grpc-js: a bidi call that sends every item and half-closes before reading the replies. */
export async function acknowledgeWithGrpcJs(client: grpc.Client, items: object[]): Promise<unknown[]> {
  const call = client.makeBidiStreamRequest('/upload.v1.Uploader/Acknowledge', serialize, (bytes: Buffer) =>
    Ack.toObject(Ack.decode(bytes)),
  )
  for (const item of items) call.write(item)
  call.end()
  const acks: unknown[] = []
  for await (const ack of call) acks.push(ack)
  return acks
}

/** python3-grpcio (test/support/grpcio_streams.py): Upload then Acknowledge with `chunks`. */
export async function uploadWithGrpcio(url: string): Promise<{ summary: SummaryValue; acks: unknown[] }> {
  const run = await promisify(execFile)(
    '/usr/bin/python3',
    [
      join(here, 'grpcio_streams.py'),
      url.replace('http://', ''),
      '/upload.v1.Uploader/Upload',
      '/upload.v1.Uploader/Acknowledge',
      ...chunks.map((chunk) => serialize(chunk).toString('hex')),
    ],
    { encoding: 'utf8', timeout: 20_000 },
  )
  if (run.stderr !== '') throw new Error(`grpcio client: ${run.stderr}`)
  const out = JSON.parse(run.stdout) as { reply: string; replies: string[] }
  const summary = Summary.toObject(Summary.decode(Buffer.from(out.reply, 'hex')), { longs: Number, arrays: true })
  return {
    summary: summaryOf(summary as never),
    acks: out.replies.map((hex) => Ack.toObject(Ack.decode(Buffer.from(hex, 'hex')))),
  }
}
