/**
 * Per-call cost, four contestants side by side, in one process and one run. Each case is measured in rounds; every
 * round runs each contestant's batch once, in an order that changes from round to round, and the ratios are taken
 * per round (paired), so that noise from other processes hits both sides of a ratio alike. Allocations per call are
 * counted afterwards, between two gc() calls, over calls during which no collection ran. See bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { GCProfiler } from 'node:v8'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createConnectRouter } from '@connectrpc/connect'
import { compressionGzip } from '@connectrpc/connect-node'
import type { DescService } from '@bufbuild/protobuf'
import { frame, readFrames } from '../test/support/frames.js'
import {
  bareMiddyHandler,
  connectLambdaHandler,
  floorHandler,
  httpApiEvent,
  lambdaContext,
  middyGrpcHandler,
  type LambdaHandler,
} from './contestants.js'
import { finishTakesView } from './floor.js'
import { loadBufRegistry, loadProtobufjsRoot, profileLine } from './schema.js'

const KiB = 1024
const MiB = 1024 * KiB
const quick = process.env.BENCH_QUICK === '1'
const roundCount = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 12))
const batchMs = Number(process.env.BENCH_BATCH_MS ?? (quick ? 5 : 25))
const warmUpMs = quick ? 50 : 300

const root = loadProtobufjsRoot()
const Bench = root.lookupService('bench.v1.Bench')
const EchoRequest = root.lookupType('bench.v1.EchoRequest')
const EchoReply = root.lookupType('bench.v1.EchoReply')
const { registry } = loadBufRegistry()
const BenchDesc = registry.getService('bench.v1.Bench') as DescService
const path = '/bench.v1.Bench/Echo'

interface Echo {
  text: string
  blob: Uint8Array
  n: number
}
const echo = (request: Echo): Echo => ({ text: request.text, blob: request.blob, n: request.n })

const floor = floorHandler(EchoRequest, EchoReply, echo)
const grpcOptions = { service: Bench, method: 'Echo', readMaxBytes: 8 * MiB, logger: false as const }
const contestants: Record<string, LambdaHandler> = {
  floor,
  'bare Middy': bareMiddyHandler(floor),
  'middy-grpc': middyGrpcHandler(grpcOptions, echo),
  'connect-es': connectLambdaHandler(
    createConnectRouter({ acceptCompression: [compressionGzip], readMaxBytes: 8 * MiB }).service(BenchDesc, {
      echo,
    } as any).handlers,
  ),
}

// ------------------------------------------------------------------------------------------------------------------
// Messages and events
// ------------------------------------------------------------------------------------------------------------------

type Payload = 'bytes' | 'string'

/**
 * A request whose encoding is exactly `size` bytes, the payload in `blob` (random bytes, or text-like bytes
 * that gzip well) or in `text` (random ASCII).
 */
function makeRequest(size: number, payload: Payload, compressible: boolean): Echo {
  // Every field set and none empty: encoders differ on whether an empty proto3 field is written.
  const n = 42
  const blob = Buffer.from('bench')
  const fits = (length: number) =>
    EchoRequest.encode(
      payload === 'bytes' ? { text: 'bench', blob: new Uint8Array(length), n } : { text: 'x'.repeat(length), blob, n },
    ).finish().length <= size
  let length = size
  while (!fits(length)) length--
  if (payload === 'string') return { text: randomBytes(length).toString('base64').slice(0, length), blob, n }
  if (!compressible) return { text: 'bench', blob: randomBytes(length), n }
  const words = ['lambda', 'grpc', 'middy', 'connect', 'protobuf', 'frame', 'trailer', 'status', 'deadline']
  const seed = randomBytes(length)
  let text = ''
  for (let i = 0; text.length < length; i++) text += `${words[seed[i % seed.length] % words.length]} `
  return { text: 'bench', blob: Buffer.from(text.slice(0, length)), n }
}

interface Case {
  name: string
  /** Bytes of the encoded request message. */
  size: number
  /** Batches of at least this many ms: at 1 MiB, one garbage collection is a large part of a short batch. */
  batchMs: number
  contestants: string[]
  event: any
  /** Throws when the reply is not the expected one. */
  verify(result: any): void
}

async function grpcWebCase(size: number, payload: Payload, gzip: boolean): Promise<Case> {
  const request = makeRequest(size, payload, gzip)
  const requestBytes = EchoRequest.encode(request).finish()
  if (requestBytes.length !== size) throw new Error(`request of ${requestBytes.length} bytes, not ${size}`)
  const expected = Buffer.from(EchoReply.encode(echo(request)).finish())
  const headers: Record<string, string> = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' }
  let body = frame(0, requestBytes)
  if (gzip) {
    headers['grpc-encoding'] = 'gzip'
    headers['grpc-accept-encoding'] = 'gzip'
    body = frame(1, gzipSync(requestBytes))
  }
  const event = httpApiEvent(path, headers, body.toString('base64'), true)
  // Every contestant's reply message must equal the floor's, byte for byte (and the floor's the protobufjs encoding).
  let floorMessage: Buffer | undefined
  const readReply = (result: any): Buffer => {
    if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}`)
    if (!String(result.headers?.['content-type']).startsWith('application/grpc-web')) throw new Error('content-type')
    const frames = readFrames(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'))
    const trailer = frames.at(-1)
    if (trailer?.flags !== 0x80 || !/^grpc-status: ?0\r\n/m.test(trailer.payload.toString('latin1')))
      throw new Error(`trailer ${trailer?.payload.toString('latin1')}`)
    if (frames.length !== 2) throw new Error(`${frames.length - 1} messages`)
    if (gzip && frames[0].flags !== 1) throw new Error('reply not compressed')
    return gzip ? gunzipSync(frames[0].payload) : Buffer.from(frames[0].payload)
  }
  if (!gzip) floorMessage = readReply(await floor(Object.assign({}, event), lambdaContext))
  return {
    name: `gRPC-Web ${gzip ? 'gzip ' : ''}${formatSize(size)} ${payload}`,
    size,
    batchMs: size >= MiB ? 4 * batchMs : batchMs,
    contestants: gzip ? ['middy-grpc', 'connect-es'] : ['floor', 'bare Middy', 'middy-grpc', 'connect-es'],
    event,
    verify(result) {
      const message = readReply(result)
      if (!expected.equals(message)) throw new Error('reply message differs from the protobufjs encoding')
      if (floorMessage !== undefined && !floorMessage.equals(message)) throw new Error("reply differs from the floor's")
    },
  }
}

function connectJsonCase(size: number): Case {
  const request = makeRequest(size, 'bytes', false)
  const json = { text: request.text, blob: Buffer.from(request.blob).toString('base64'), n: request.n }
  const headers = { 'content-type': 'application/json', 'connect-protocol-version': '1' }
  return {
    name: `Connect JSON ${formatSize(size)}`,
    size,
    batchMs,
    contestants: ['middy-grpc', 'connect-es'],
    event: httpApiEvent(path, headers, JSON.stringify(json), false),
    verify(result) {
      if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}: ${result.body}`)
      const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body
      const reply = JSON.parse(text)
      if (reply.text !== json.text || reply.blob !== json.blob || reply.n !== json.n) throw new Error('reply differs')
    },
  }
}

function formatSize(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`
}

// ------------------------------------------------------------------------------------------------------------------
// Measurement
// ------------------------------------------------------------------------------------------------------------------

/** Per round: the batch's mean and CPU time per call, and the median of the individually timed calls. */
interface Sample {
  meanNs: number[]
  cpuNs: number[]
  p50Ns: number[]
  callNs: number[]
}

/**
 * A fresh copy of the event per call, as Lambda gives a new (JSON-parsed) one each time and middlewares add
 * properties to it. Object.assign, not a spread: on V8 12 adding a property to an object made by `{ ...event }` takes
 * a slow path (~0.9 µs per property, measured), which JSON.parse'd events do not have.
 */
const copyEvent = (event: any): any => Object.assign({}, event)

async function runBatch(handler: LambdaHandler, event: any, n: number): Promise<{ ns: number; cpuNs: number }> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await handler(copyEvent(event), lambdaContext)
  const ns = Number(process.hrtime.bigint() - start)
  const used = process.cpuUsage(cpu)
  return { ns, cpuNs: (used.user + used.system) * 1000 }
}

/** Each call timed on its own (a clock read costs ~50 ns, so the mean comes from the untimed batch instead). */
async function sampleCalls(handler: LambdaHandler, event: any, n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const copy = copyEvent(event)
    const start = process.hrtime.bigint()
    await handler(copy, lambdaContext)
    times.push(Number(process.hrtime.bigint() - start))
  }
  return times
}

let seed = 0x2545f491
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    const j = seed % (i + 1)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

const batchSizes = new Map<string, number>()

/** Checks the reply, warms up, and sizes a batch to about `c.batchMs`; once per contestant and case. */
async function prepare(c: Case, name: string): Promise<number> {
  const key = `${c.name}/${name}`
  const known = batchSizes.get(key)
  if (known !== undefined) return known
  const handler = contestants[name]
  try {
    c.verify(await handler(copyEvent(c.event), lambdaContext))
  } catch (error) {
    throw new Error(`${c.name}: ${name} replied wrong: ${(error as Error).message}`)
  }
  let n = 1
  for (;;) {
    const { ns } = await runBatch(handler, c.event, n)
    if (ns > (c.batchMs * 1e6) / 4 || n > 1e6) {
      n = Math.max(3, Math.round((n * c.batchMs * 1e6) / ns))
      break
    }
    n *= 2
  }
  // Warm up, so that every contestant is optimized before the rounds; then check the reply again.
  for (const until = Date.now() + warmUpMs; Date.now() < until; ) await runBatch(handler, c.event, n)
  c.verify(await handler(copyEvent(c.event), lambdaContext))
  batchSizes.set(key, n)
  return n
}

async function measureGroup(c: Case, group: string[]): Promise<Map<string, Sample>> {
  const sizes = new Map<string, number>()
  for (const name of group) sizes.set(name, await prepare(c, name))
  const samples = new Map<string, Sample>(group.map((name) => [name, { meanNs: [], cpuNs: [], p50Ns: [], callNs: [] }]))
  for (let round = 0; round < roundCount; round++) {
    // A new order every round (rotated, then shuffled with a fixed seed): whoever runs after a contestant that left
    // much garbage pays for its collection, and this spreads that over everyone.
    const order = shuffle(group.map((_, i) => group[(i + round) % group.length]))
    for (const name of order) {
      const n = sizes.get(name)!
      const sample = samples.get(name)!
      const { ns, cpuNs } = await runBatch(contestants[name], c.event, n)
      sample.meanNs.push(ns / n)
      sample.cpuNs.push(cpuNs / n)
      const calls = await sampleCalls(contestants[name], c.event, Math.min(n, 400))
      sample.p50Ns.push(median(calls))
      sample.callNs.push(...calls)
    }
  }
  return samples
}

const gc = (globalThis as { gc?: () => void }).gc

/**
 * Bytes allocated per call, as ArrayBuffer (Buffer) memory and as V8 heap: the growth of `process.memoryUsage()` over
 * a run of calls between which no collection ran (checked with v8.GCProfiler; the run is halved until one is clean).
 * Strings of the base64 body over ~1 MB are external strings, in neither figure (the same for every contestant).
 */
async function measureAllocations(
  handler: LambdaHandler,
  event: any,
  size: number,
): Promise<{ arrayBuffers: number; heap: number } | undefined> {
  if (gc === undefined) return undefined
  const profiler = new GCProfiler()
  for (let calls = Math.min(500, Math.max(2, Math.floor((8 * MiB) / (6 * size + 4 * KiB)))); calls >= 1; calls >>= 1) {
    const events = Array.from({ length: calls }, () => copyEvent(event))
    gc()
    gc()
    const before = process.memoryUsage()
    profiler.start()
    for (const copy of events) await handler(copy, lambdaContext)
    const after = process.memoryUsage()
    const collections = profiler.stop()?.statistics.length ?? 0
    if (collections === 0)
      return {
        arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / calls,
        heap: (after.heapUsed - before.heapUsed) / calls,
      }
  }
  return undefined
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(0)} µs`
  return `${(ns / 1e3).toFixed(2)} µs`
}

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return 'n/a'
  if (Math.abs(bytes) >= MiB) return `${(bytes / MiB).toFixed(2)} MiB`
  if (Math.abs(bytes) >= 10 * KiB) return `${(bytes / KiB).toFixed(0)} KiB`
  if (Math.abs(bytes) >= KiB) return `${(bytes / KiB).toFixed(1)} KiB`
  return `${bytes.toFixed(0)} B`
}

/** Per-round ratios of one measure: the median over rounds, and the spread (min–max). */
function pairedRatio(a: number[], b: number[]): string {
  const ratios = a.map((value, i) => value / b[i])
  return `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
}

const cases: Case[] = [
  ...(await Promise.all(
    [100, 16 * KiB, MiB].flatMap((size) => [grpcWebCase(size, 'bytes', false), grpcWebCase(size, 'string', false)]),
  )),
  connectJsonCase(100),
  connectJsonCase(16 * KiB),
  await grpcWebCase(16 * KiB, 'bytes', true),
]

const only = process.env.BENCH_CASES?.split(',')
const selected = cases.filter((c) => only === undefined || only.some((o) => c.name.includes(o)))
const profiled = process.env.BENCH_PROFILE
if (profiled !== undefined) {
  // For `node --cpu-prof`: one contestant, the selected cases, 4 s each.
  for (const c of selected) {
    const handler = contestants[profiled]
    c.verify(await handler(copyEvent(c.event), lambdaContext))
    let calls = 0
    const start = Date.now()
    while (Date.now() - start < 4000) {
      await runBatch(handler, c.event, 100)
      calls += 100
    }
    console.log(`${c.name} ${profiled}: ${(((Date.now() - start) * 1e3) / calls).toFixed(2)} µs/call`)
  }
  process.exit(0)
}

const formatLoad = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
console.log(
  `${profileLine()}; protobufjs Writer.finish ${finishTakesView ? 'returns a view (floor takes it)' : 'copies'}${quick ? '; QUICK RUN: figures not for quoting' : ''}`,
)
console.log(
  `${roundCount} interleaved rounds of ~${batchMs} ms batches (4× at 1 MiB) per contestant, order shuffled each round; every reply verified first`,
)
console.log(`load average at start: ${formatLoad()}`)

interface Row {
  c: Case
  name: string
  sample: Sample
  allocations?: { arrayBuffers: number; heap: number }
}
const rows: Row[] = []
const ratioRows: string[] = []
const ratioRow = (c: Case, label: string, a: Sample, b: Sample) =>
  ratioRows.push(
    `| ${c.name} | ${label} | ${pairedRatio(a.meanNs, b.meanNs)} | ${pairedRatio(a.p50Ns, b.p50Ns)} | ${pairedRatio(a.cpuNs, b.cpuNs)} |`,
  )
for (const c of selected) {
  if (c.contestants.includes('bare Middy')) {
    // Two groups of rounds: the floor, bare Middy and middy-grpc, whose ratios are close to 1 and would drown in the
    // garbage connect-es leaves behind; then bare Middy against connect-es.
    const close = await measureGroup(c, ['floor', 'bare Middy', 'middy-grpc'])
    const versus = await measureGroup(c, ['bare Middy', 'connect-es'])
    const s = (name: string) => close.get(name)!
    ratioRow(c, 'middy-grpc / bare Middy', s('middy-grpc'), s('bare Middy'))
    ratioRow(c, 'bare Middy / floor', s('bare Middy'), s('floor'))
    ratioRow(c, 'middy-grpc / floor', s('middy-grpc'), s('floor'))
    ratioRow(c, 'connect-es / bare Middy', versus.get('connect-es')!, versus.get('bare Middy')!)
    for (const name of c.contestants) rows.push({ c, name, sample: close.get(name) ?? versus.get(name)! })
  } else {
    const versus = await measureGroup(c, ['middy-grpc', 'connect-es'])
    ratioRow(c, 'connect-es / middy-grpc', versus.get('connect-es')!, versus.get('middy-grpc')!)
    for (const name of c.contestants) rows.push({ c, name, sample: versus.get(name)! })
  }
  for (const row of rows.filter((r) => r.c === c))
    row.allocations = await measureAllocations(contestants[row.name], c.event, c.size)
}

console.log('')
console.log('Per call (mean and CPU: median over rounds of the batch figures; p50, p99: over all timed calls)')
console.log('')
console.log('| case | contestant | mean | p50 | p99 | CPU | ArrayBuffer allocated | heap allocated |')
console.log('|---|---|---|---|---|---|---|---|')
for (const { c, name, sample, allocations } of rows) {
  console.log(
    `| ${c.name} | ${name} | ${formatNs(median(sample.meanNs))} | ${formatNs(percentile(sample.callNs, 50))} | ${formatNs(percentile(sample.callNs, 99))} | ${formatNs(median(sample.cpuNs))} | ${formatBytes(allocations?.arrayBuffers)} | ${formatBytes(allocations?.heap)} |`,
  )
}
console.log('')
console.log(`Paired ratios: median over ${roundCount} rounds of the per-round ratio (min–max over rounds)`)
console.log('')
console.log('| case | ratio | mean | p50 | CPU |')
console.log('|---|---|---|---|---|')
for (const line of ratioRows) console.log(line)
console.log(`\nload average at end: ${formatLoad()}`)
