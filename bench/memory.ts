/**
 * Memory for one 4 MiB unary gRPC-Web call, per contestant, each in a fresh process (node --expose-gc
 * --max-semi-space-size=64, so that no scavenge frees a buffer during the call): the event is built and the handler
 * warmed up with small calls (and, for the second call, one 4 MiB call), then gc(); after the measured 4 MiB call,
 * before any gc(): the peak RSS over the RSS before the call (Linux: the peak is reset before the call through
 * /proc/self/clear_refs and read as VmHWM; elsewhere maxRSS, the process's lifetime peak), and the growth of heap and
 * ArrayBuffer memory. ArrayBuffer growth / 4 MiB is the number of
 * payload-sized buffers the call allocated (the decoded request body, the encoded reply, and every copy in between);
 * the base64 strings (event body in, result body out) are not ArrayBuffers (Node makes large ones external strings).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
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
/** `first`: the process's first 4 MiB call; `again`: a second one, after a first 4 MiB call and gc(). */
const modes = ['first', 'again'] as const
const mode = process.argv[3] as (typeof modes)[number]
const runCount = process.env.BENCH_QUICK === '1' ? 1 : 5

if (child === undefined) {
  console.log(
    `${profileLine()}; one 4 MiB request and reply; a fresh process per contestant, case and run, contestants interleaved; median of ${runCount} processes`,
  )
  console.log('')
  const runs = new Map<string, Record<string, number>[]>()
  for (let run = 0; run < runCount; run++) {
    for (const m of modes) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + run) % names.length]
        const output = execFileSync(
          process.execPath,
          ['--expose-gc', '--max-semi-space-size=64', fileURLToPath(import.meta.url), name, m],
          { encoding: 'utf8', env: process.env },
        )
        const key = `${name}/${m}`
        runs.set(key, [...(runs.get(key) ?? []), JSON.parse(output)])
      }
    }
  }
  const median = (name: string, m: string, key: string) => {
    const sorted = runs
      .get(`${name}/${m}`)!
      .map((r) => r[key])
      .sort((a, b) => a - b)
    return sorted[sorted.length >> 1]
  }
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
  console.log(
    '| contestant | call | peak RSS over pre-call RSS | vs the floor | heap growth | ArrayBuffer growth | payload-sized buffers |',
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const m of modes) {
    for (const name of names) {
      const rss = median(name, m, 'rss')
      const arrayBuffers = median(name, m, 'arrayBuffers')
      console.log(
        `| ${name} | ${m === 'first' ? 'first 4 MiB call' : 'second 4 MiB call'} | ${mib(rss)} | ${(rss / median('floor', m, 'rss')).toFixed(2)}× | ${mib(median(name, m, 'heap'))} | ${mib(arrayBuffers)} | ${(arrayBuffers / (4 * MiB)).toFixed(1)} |`,
      )
    }
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
  // A reused Writer (the floor's on protobufjs 8) grows to the largest reply once and keeps that buffer.
  if (mode === 'again') await handler(Object.assign({}, big), lambdaContext)
  const gc = (globalThis as { gc?: () => void }).gc!
  gc()
  gc()
  const before = process.memoryUsage()
  const rssBefore = before.rss
  const resetPeak = resetPeakRss()
  const result = await handler(Object.assign({}, big), lambdaContext)
  const after = process.memoryUsage()
  const rssAfter = resetPeak ? peakRss() : process.resourceUsage().maxRSS * 1024
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

/** Resets the kernel's peak-RSS mark (VmHWM) of this process; false where /proc does not allow it. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return peakRss() > 0
  } catch {
    return false
  }
}

function peakRss(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return match === null ? 0 : Number(match[1]) * 1024
}
