/**
 * Memory for one 4 MiB unary gRPC-Web call, per contestant, each in a fresh process (node --expose-gc
 * --max-semi-space-size=64, so that no scavenge frees a buffer during the call): the event is built and the handler
 * warmed up with small calls, then gc(); after the one 4 MiB call, before any gc(): the peak RSS (maxRSS) over the RSS
 * before the call, and the growth of heap and ArrayBuffer memory. ArrayBuffer growth / 4 MiB is the number of
 * payload-sized buffers the call allocated (the decoded request body, the encoded reply, and every copy in between);
 * the base64 strings (event body in, result body out) are not ArrayBuffers (Node makes large ones external strings).
 */
import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createConnectRouter } from '@connectrpc/connect'
import type { DescService } from '@bufbuild/protobuf'
import {
  bareMiddyHandler,
  connectLambdaHandler,
  floorHandler,
  httpApiEvent,
  lambdaContext,
  middyGrpcHandler,
} from './contestants.js'
import { loadBufRegistry, loadProtobufjsRoot, profileLine } from './schema.js'

const MiB = 1024 * 1024
const names = ['floor', 'bare Middy', 'middy-grpc', 'connect-es']
const child = process.argv[2]
const runCount = process.env.BENCH_QUICK === '1' ? 1 : 5

if (child === undefined) {
  console.log(
    `${profileLine()}; one 4 MiB request and reply; a fresh process per contestant and run, contestants interleaved; median of ${runCount} processes`,
  )
  console.log('')
  const runs = new Map<string, Record<string, number>[]>(names.map((name) => [name, []]))
  for (let run = 0; run < runCount; run++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + run) % names.length]
      const output = execFileSync(
        process.execPath,
        ['--expose-gc', '--max-semi-space-size=64', fileURLToPath(import.meta.url), name],
        { encoding: 'utf8', env: process.env },
      )
      runs.get(name)!.push(JSON.parse(output))
    }
  }
  const median = (name: string, key: string) => {
    const sorted = runs
      .get(name)!
      .map((r) => r[key])
      .sort((a, b) => a - b)
    return sorted[sorted.length >> 1]
  }
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
  console.log(
    '| contestant | peak RSS over pre-call RSS | vs the floor | heap growth | ArrayBuffer growth | payload-sized buffers |',
  )
  console.log('|---|---|---|---|---|---|')
  for (const name of names) {
    console.log(
      `| ${name} | ${mib(median(name, 'rss'))} | ${(median(name, 'rss') / median('floor', 'rss')).toFixed(2)}× | ${mib(median(name, 'heap'))} | ${mib(median(name, 'arrayBuffers'))} | ${(median(name, 'arrayBuffers') / (4 * MiB)).toFixed(1)} |`,
    )
  }
} else {
  const root = loadProtobufjsRoot()
  const EchoRequest = root.lookupType('bench.v1.EchoRequest')
  const EchoReply = root.lookupType('bench.v1.EchoReply')
  const echo = (request: { text: string; blob: Uint8Array; n: number }) => ({
    text: request.text,
    blob: request.blob,
    n: request.n,
  })
  const floor = floorHandler(EchoRequest, EchoReply, echo)
  let handler: (event: any, context: any) => Promise<any>
  if (child === 'floor') handler = floor
  else if (child === 'bare Middy') handler = bareMiddyHandler(floor)
  else if (child === 'middy-grpc') {
    handler = middyGrpcHandler(
      { service: root.lookupService('bench.v1.Bench'), method: 'Echo', readMaxBytes: 8 * MiB, logger: false },
      echo,
    )
  } else {
    const service = loadBufRegistry().registry.getService('bench.v1.Bench') as DescService
    handler = connectLambdaHandler(
      createConnectRouter({ readMaxBytes: 8 * MiB }).service(service, { echo } as any).handlers,
    )
  }
  // The framed request written in one buffer (field 1 "bench", field 2 random bytes), so that building the event
  // peaks lower than the call does.
  const eventFor = (size: number) => {
    const head = EchoRequest.encode({ text: 'bench', data: new Uint8Array(0) })
      .finish()
      .subarray(0, 7)
    const lengthBytes: number[] = []
    for (let n = size; ; n >>>= 7) {
      if (n < 0x80) {
        lengthBytes.push(n)
        break
      }
      lengthBytes.push((n & 0x7f) | 0x80)
    }
    const messageBytes = head.length + 1 + lengthBytes.length + size
    const body = Buffer.allocUnsafe(5 + messageBytes)
    body[0] = 0
    body.writeUInt32BE(messageBytes, 1)
    body.set(head, 5)
    body[5 + head.length] = 0x12
    body.set(lengthBytes, 6 + head.length)
    randomFillSync(body, 6 + head.length + lengthBytes.length)
    return httpApiEvent(
      '/bench.v1.Bench/Echo',
      { 'content-type': 'application/grpc-web+proto' },
      body.toString('base64'),
      true,
    )
  }
  const small = eventFor(1000)
  for (let i = 0; i < 200; i++) await handler(Object.assign({}, small), lambdaContext)
  const big = eventFor(4 * MiB - 16)
  await handler(Object.assign({}, eventFor(64 * 1024)), lambdaContext)
  const gc = (globalThis as { gc?: () => void }).gc!
  gc()
  gc()
  const before = process.memoryUsage()
  const rssBefore = before.rss
  const result = await handler(Object.assign({}, big), lambdaContext)
  const after = process.memoryUsage()
  const rssAfter = process.resourceUsage().maxRSS * 1024
  const reply = Buffer.from(result.body, 'base64')
  if (result.statusCode !== 200 || reply.length < 4 * MiB || !reply.toString('latin1').includes('grpc-status: 0')) {
    throw new Error(`${child} replied wrong`)
  }
  process.stdout.write(
    JSON.stringify({
      rss: rssAfter - rssBefore,
      heap: after.heapUsed - before.heapUsed,
      arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    }),
  )
}
