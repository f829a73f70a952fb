/**
 * Per-call cost, four contestants side by side, in one process and one run. Each case is measured in rounds; every
 * round runs each contestant's batch once, in an order that changes from round to round, and the ratios are taken
 * per round (paired), so that noise from other processes hits both sides of a ratio alike. See bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createConnectRouter } from '@connectrpc/connect'
import { compressionGzip } from '@connectrpc/connect-node'
import type { DescService } from '@bufbuild/protobuf'
import {
  bareMiddyHandler,
  connectLambdaHandler,
  floorHandler,
  httpApiEvent,
  lambdaContext,
  middyGrpcHandler,
  type LambdaHandler,
} from './contestants.js'
import { loadBufRegistry, loadProtobufjsRoot } from './schema.js'

const KiB = 1024
const MiB = 1024 * KiB
const roundCount = Number(process.env.BENCH_ROUNDS ?? 21)
const batchMs = Number(process.env.BENCH_BATCH_MS ?? 25)

const root = loadProtobufjsRoot()
const Bench = root.lookupService('bench.v1.Bench')
const EchoRequest = root.lookupType('bench.v1.EchoRequest')
const EchoReply = root.lookupType('bench.v1.EchoReply')
const { registry } = loadBufRegistry()
const BenchDesc = registry.getService('bench.v1.Bench') as DescService
const path = '/bench.v1.Bench/Echo'

const echo = (request: { text: string; data: Uint8Array }) => ({ text: request.text, data: request.data })

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

/** A request whose encoding is exactly `size` bytes; random bytes, or text-like bytes that gzip well. */
function makeRequest(size: number, compressible: boolean): { text: string; data: Uint8Array } {
  const text = 'bench'
  let dataBytes = size - 9
  while (EchoRequest.encode({ text, data: new Uint8Array(dataBytes) }).finish().length > size) dataBytes--
  let data: Uint8Array
  if (compressible) {
    const words = ['lambda', 'grpc', 'middy', 'connect', 'protobuf', 'frame', 'trailer', 'status', 'deadline']
    let s = ''
    const seed = randomBytes(dataBytes)
    for (let i = 0; s.length < dataBytes; i++) s += `${words[seed[i % seed.length] % words.length]} `
    data = Buffer.from(s.slice(0, dataBytes))
  } else {
    data = randomBytes(dataBytes)
  }
  return { text, data }
}

function frame(flags: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length)
  out[0] = flags
  out.writeUInt32BE(payload.length, 1)
  out.set(payload, 5)
  return out
}

interface Case {
  name: string
  /** Batches of at least this many ms: at 1 MiB, one garbage collection is a large part of a short batch. */
  batchMs?: number
  contestants: string[]
  event: any
  /** Throws when the reply is not the expected one. */
  verify(result: any): void
}

function parseGrpcWebBody(body: Buffer): { messages: Buffer[]; flags: number[]; trailer: Record<string, string> } {
  const messages: Buffer[] = []
  const flags: number[] = []
  const trailer: Record<string, string> = {}
  let offset = 0
  while (offset < body.length) {
    const flag = body[offset]
    const length = body.readUInt32BE(offset + 1)
    const payload = body.subarray(offset + 5, offset + 5 + length)
    if (payload.length !== length) throw new Error('truncated frame')
    offset += 5 + length
    if (flag & 0x80) {
      for (const line of payload.toString('latin1').split('\r\n')) {
        if (line === '') continue
        const colon = line.indexOf(':')
        trailer[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
    } else {
      messages.push(payload)
      flags.push(flag)
    }
  }
  return { messages, flags, trailer }
}

function grpcWebCase(size: number, gzip: boolean): Case {
  const request = makeRequest(size, gzip)
  const requestBytes = EchoRequest.encode(request).finish()
  const expected = Buffer.from(EchoReply.encode(echo(request)).finish())
  const headers: Record<string, string> = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' }
  let body = frame(0, requestBytes)
  if (gzip) {
    headers['grpc-encoding'] = 'gzip'
    headers['grpc-accept-encoding'] = 'gzip'
    body = frame(1, gzipSync(requestBytes))
  }
  return {
    name: `gRPC-Web ${gzip ? 'gzip ' : ''}${formatSize(size)}`,
    batchMs: size >= MiB ? 4 * batchMs : undefined,
    contestants: gzip ? ['middy-grpc', 'connect-es'] : ['floor', 'bare Middy', 'middy-grpc', 'connect-es'],
    event: httpApiEvent(path, headers, body.toString('base64'), true),
    verify(result) {
      if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}`)
      if (!String(result.headers?.['content-type']).startsWith('application/grpc-web')) throw new Error('content-type')
      const reply = parseGrpcWebBody(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'))
      if (reply.trailer['grpc-status'] !== '0')
        throw new Error(`grpc-status ${reply.trailer['grpc-status']}: ${reply.trailer['grpc-message']}`)
      if (reply.messages.length !== 1) throw new Error(`${reply.messages.length} messages`)
      if (gzip && reply.flags[0] !== 1) throw new Error('reply not compressed')
      const message = gzip ? gunzipSync(reply.messages[0]) : reply.messages[0]
      if (!expected.equals(message)) throw new Error('reply message differs')
      const decoded = EchoReply.decode(message) as unknown as { text: string; data: Uint8Array }
      if (decoded.text !== request.text || !Buffer.from(decoded.data).equals(request.data))
        throw new Error('decoded reply differs')
    },
  }
}

function connectJsonCase(size: number): Case {
  const request = makeRequest(size, false)
  const json = { text: request.text, data: Buffer.from(request.data).toString('base64') }
  const headers = { 'content-type': 'application/json', 'connect-protocol-version': '1' }
  return {
    name: `Connect JSON ${formatSize(size)}`,
    contestants: ['middy-grpc', 'connect-es'],
    event: httpApiEvent(path, headers, JSON.stringify(json), false),
    verify(result) {
      if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}: ${result.body}`)
      const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body
      const reply = JSON.parse(text)
      if (reply.text !== json.text || reply.data !== json.data) throw new Error('reply differs')
    },
  }
}

function formatSize(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`
}

// ------------------------------------------------------------------------------------------------------------------
// Measurement
// ------------------------------------------------------------------------------------------------------------------

interface Sample {
  meanNs: number[]
  cpuNs: number[]
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

async function sampleCalls(handler: LambdaHandler, event: any, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const copy = copyEvent(event)
    const start = performance.now()
    await handler(copy, lambdaContext)
    into.push((performance.now() - start) * 1e6)
  }
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

async function measureCase(c: Case, group: string[]): Promise<Map<string, Sample>> {
  const sizes = new Map<string, number>()
  for (const name of group) {
    const handler = contestants[name]
    try {
      c.verify(await handler(copyEvent(c.event), lambdaContext))
    } catch (error) {
      throw new Error(`${c.name}: ${name} replied wrong: ${(error as Error).message}`)
    }
    // Warm up, then size the batch to about batchMs.
    let n = 1
    for (;;) {
      const { ns } = await runBatch(handler, c.event, n)
      if (ns > ((c.batchMs ?? batchMs) * 1e6) / 4 || n > 1e6) {
        n = Math.max(3, Math.round((n * (c.batchMs ?? batchMs) * 1e6) / ns))
        break
      }
      n *= 2
    }
    // Warm up for at least 300 ms, so that every contestant is optimized before the rounds.
    for (const until = Date.now() + 300; Date.now() < until; ) await runBatch(handler, c.event, n)
    c.verify(await handler(copyEvent(c.event), lambdaContext))
    sizes.set(name, n)
  }
  const samples = new Map<string, Sample>(group.map((name) => [name, { meanNs: [], cpuNs: [], callNs: [] }]))
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
      await sampleCalls(contestants[name], c.event, Math.min(n, 400), sample.callNs)
    }
  }
  return samples
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

function formatOps(ns: number): string {
  const ops = 1e9 / ns
  return ops >= 1e4 ? `${(ops / 1e3).toFixed(0)} k` : ops.toFixed(0)
}

/** Per-round ratios of means: median, and the spread over rounds. */
function pairedRatio(a: Sample, b: Sample): string {
  const ratios = a.meanNs.map((value, i) => value / b.meanNs[i])
  return `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
}

const cases: Case[] = [
  grpcWebCase(100, false),
  grpcWebCase(16 * KiB, false),
  grpcWebCase(MiB, false),
  connectJsonCase(100),
  connectJsonCase(16 * KiB),
  grpcWebCase(16 * KiB, true),
]

const only = process.env.BENCH_CASES?.split(',')
const profiled = process.env.BENCH_PROFILE
if (profiled !== undefined) {
  // For `node --cpu-prof`: one contestant, the selected cases, 4 s each.
  for (const c of cases) {
    if (only !== undefined && !only.some((o) => c.name.includes(o))) continue
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
console.log(
  `node ${process.version}, ${roundCount} rounds of ~${batchMs} ms batches per contestant, order shuffled each round, every reply verified first`,
)
const load = (await import('node:os')).loadavg()
console.log(`load average at start: ${load.map((l) => l.toFixed(2)).join(' ')}`)
console.log('')
console.log('| case | contestant | ops/s | mean | p99 | CPU/call | ratios (median per-round, min–max) |')
console.log('|---|---|---|---|---|---|---|')
for (const c of cases) {
  if (only !== undefined && !only.some((o) => c.name.includes(o))) continue
  // Two groups of rounds: the floor, bare Middy and middy-grpc, whose ratios are close to 1 and would drown in the
  // garbage connect-es leaves behind; then middy-grpc against connect-es.
  const ratios: Record<string, string> = {}
  const rows = new Map<string, Sample>()
  if (c.contestants.includes('bare Middy')) {
    const close = await measureCase(c, ['floor', 'bare Middy', 'middy-grpc'])
    const s = (name: string) => close.get(name)!
    ratios['middy-grpc'] =
      `${pairedRatio(s('middy-grpc'), s('bare Middy'))} of bare Middy; ${pairedRatio(s('middy-grpc'), s('floor'))} of floor`
    ratios['bare Middy'] = `${pairedRatio(s('bare Middy'), s('floor'))} of floor`
    for (const [name, sample] of close) rows.set(name, sample)
  }
  const versus = await measureCase(c, ['middy-grpc', 'connect-es'])
  ratios['connect-es'] = `${pairedRatio(versus.get('connect-es')!, versus.get('middy-grpc')!)} of middy-grpc`
  if (!rows.has('middy-grpc')) rows.set('middy-grpc', versus.get('middy-grpc')!)
  rows.set('connect-es', versus.get('connect-es')!)
  for (const name of c.contestants) {
    const sample = rows.get(name)!
    const mean = median(sample.meanNs)
    console.log(
      `| ${c.name} | ${name} | ${formatOps(mean)} | ${formatNs(mean)} | ${formatNs(percentile(sample.callNs, 99))} | ${formatNs(median(sample.cpuNs))} | ${ratios[name] ?? ''} |`,
    )
  }
}
console.log(
  `\nload average at end: ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
