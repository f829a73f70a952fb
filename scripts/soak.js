#!/usr/bin/env node
// npm run soak: a bounded soak of the composite grpcFraming middleware in one warm "container" (one process, one
// handler): 50 000 sequential and 1 000 concurrent invocations mixing success, errors, metadata, compression, server
// streams and bad requests, every response checked for another invocation's data. Heap and RSS are reported (after a
// forced GC) at intervals, then a verdict line. Also a 512 MiB gzip bomb (~500 KB on the wire) against the default
// limit, with its time and RSS growth bounded (moved here from test/hardening.test.ts, which must not time anything).
// Not part of `npm test`.
//
// The TypeScript sources are bundled with esbuild (a dev dependency) into node_modules/.cache, so that the script
// exercises src/ as it is without a build step.
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync, gunzipSync } from 'node:zlib'
import v8 from 'node:v8'
import vm from 'node:vm'
import { build } from 'esbuild'

const sequential = Number(process.env.SOAK_SEQUENTIAL ?? 50_000)
const concurrent = Number(process.env.SOAK_CONCURRENT ?? 1_000)
const reportEvery = Number(process.env.SOAK_REPORT_EVERY ?? 10_000)
// Growth of the heap after GC between the first report and the end that still counts as flat.
const flatHeapBytes = 8 * 1024 * 1024
// The gzip bomb: both requests (gRPC-Web and Connect) answered within this time and this RSS growth.
const bombMaxMs = 2000
const bombMaxRssBytes = 64 * 1024 * 1024

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'node_modules', '.cache', 'middy-grpc-soak')
mkdirSync(outdir, { recursive: true })
await build({
  entryPoints: {
    index: join(root, 'src/index.ts'),
    'dev-server': join(root, 'src/dev-server/index.ts'),
    frames: join(root, 'test/support/frames.ts'),
  },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  logLevel: 'warning',
})
const { grpcFraming, grpcRouter, GrpcError, Status } = await import(pathToFileURL(join(outdir, 'index.js')).href)
const { toLambdaEvent, fromLambdaResult, createLambdaContext } = await import(
  pathToFileURL(join(outdir, 'dev-server.js')).href
)
const { frame, readFrames } = await import(pathToFileURL(join(outdir, 'frames.js')).href)
const { default: middy } = await import('@middy/core')
const { default: protobuf } = await import('protobufjs')

/** `--expose-gc` from the command line, or switched on here when the script was started without it. */
function exposeGc() {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc')
}

const gc = globalThis.gc ?? exposeGc()

const schema = protobuf.parse(`
  syntax = "proto3";
  package soak.v1;
  service Soak {
    rpc Echo(Msg) returns (Msg);
    rpc Lookup(Msg) returns (Msg) { option idempotency_level = NO_SIDE_EFFECTS; }
    rpc Fail(Msg) returns (Msg);
    rpc Stream(Msg) returns (stream Msg);
  }
  message Msg { string text = 1; bytes payload = 2; uint32 count = 3; }
`).root
const Soak = schema.lookupService('soak.v1.Soak')
const Msg = schema.lookupType('soak.v1.Msg')

const tick = () => new Promise((resolve) => setImmediate(resolve))

const handler = middy()
  .use(grpcFraming({ service: Soak, logger: false, readMaxBytes: 256 * 1024 }))
  .handler(
    grpcRouter({
      async Echo({ message, grpc }) {
        if (message.count > 0) await tick()
        for (const [name, value] of grpc.requestHeader) {
          if (name.startsWith('x-echo-')) grpc.responseHeader.set(name, value)
          if (name.startsWith('x-trailer-')) grpc.responseTrailer.set(name, value)
        }
        return { text: message.text, payload: message.payload }
      },
      Lookup: async ({ message }) => ({ text: `found ${message.text}` }),
      async Fail({ message, grpc }) {
        grpc.responseTrailer.set('x-failed', message.text)
        if (message.count === 1) throw new Error(`internal detail of ${message.text}`)
        throw new GrpcError(Status.NOT_FOUND, `no ${message.text}`, { metadata: { 'x-error': message.text } })
      },
      async *Stream({ message }) {
        for (let i = 0; i < 3; i++) yield { text: `${message.text}#${i}` }
      },
    }),
  )

const encode = (object) => Msg.encode(Msg.fromObject(object)).finish()
const shapes = ['v1', 'v2', 'url', 'alb', 'alb-multi']
const compressible = Buffer.alloc(4096, 'abcd')
const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024))
const path = (method) => `/soak.v1.Soak/${method}`

/** The i-th request of the mix, and what its response must say. */
function scenario(i) {
  const id = `call-${i}`
  const gw = ['content-type', 'application/grpc-web+proto']
  switch (i % 10) {
    case 0:
      return {
        kind: 'metadata',
        request: {
          method: 'POST',
          url: path('Echo'),
          headers: [gw, [`x-echo-${i}`, id], [`x-trailer-${i}`, id]],
          body: frame(0, encode({ text: id })),
        },
      }
    case 1:
      return {
        kind: 'connect-json',
        request: {
          method: 'POST',
          url: path('Echo'),
          headers: [['content-type', 'application/json']],
          body: Buffer.from(JSON.stringify({ text: id, count: i % 3 })),
        },
      }
    case 2:
      return {
        kind: 'compressed',
        request: {
          method: 'POST',
          url: path('Echo'),
          headers: [gw, ['grpc-encoding', 'gzip'], ['grpc-accept-encoding', 'gzip']],
          body: frame(1, gzipSync(encode({ text: id, payload: compressible }))),
        },
      }
    case 3:
      return {
        kind: 'grpc-error',
        request: { method: 'POST', url: path('Fail'), headers: [gw], body: frame(0, encode({ text: id })) },
      }
    case 4:
      return {
        kind: 'internal-error',
        request: {
          method: 'POST',
          url: path('Fail'),
          headers: [['content-type', 'application/proto']],
          body: encode({ text: id, count: 1 }),
        },
      }
    case 5:
      return {
        kind: 'twirp',
        request: {
          method: 'POST',
          url: `/twirp${path('Echo')}`,
          headers: [['content-type', 'application/protobuf']],
          body: encode({ text: id }),
        },
      }
    case 6:
      return {
        kind: 'connect-get',
        request: {
          method: 'GET',
          url: `${path('Lookup')}?connect=v1&encoding=proto&base64=1&message=${Buffer.from(encode({ text: id })).toString('base64url')}`,
          headers: [],
          body: new Uint8Array(0),
        },
      }
    case 7:
      return {
        kind: 'stream',
        request: {
          method: 'POST',
          url: path('Stream'),
          headers: [['content-type', 'application/connect+proto']],
          body: frame(0, encode({ text: id })),
        },
      }
    case 8:
      return {
        kind: 'bad-request',
        request: {
          method: 'POST',
          url: path('Echo'),
          headers: [gw, ['x-echo-bad', id]],
          body: Uint8Array.of(0, 0, 0, 9),
        },
      }
    default:
      return {
        kind: 'bomb',
        request: { method: 'POST', url: path('Echo'), headers: [gw, ['grpc-encoding', 'gzip']], body: frame(1, bomb) },
      }
  }
}

/** Checks one response; returns a problem or undefined. */
function check(i, kind, response) {
  const id = `call-${i}`
  const headers = Object.fromEntries(response.headers)
  const all = JSON.stringify(headers) + response.body.toString('latin1')
  for (const match of all.matchAll(/call-(\d+)/g))
    if (Number(match[1]) !== i) return `response ${i} carries data of call ${match[1]}`
  const trailer = () => readFrames(response.body).at(-1).payload.toString()
  switch (kind) {
    case 'metadata':
      if (
        headers[`x-echo-${i}`] !== id ||
        !trailer().includes(`x-trailer-${i}: ${id}`) ||
        !trailer().includes('grpc-status: 0')
      )
        return 'metadata'
      return Msg.decode(readFrames(response.body)[0].payload).text === id ? undefined : 'metadata message'
    case 'connect-json':
      return response.status === 200 && JSON.parse(response.body.toString()).text === id ? undefined : 'connect json'
    case 'compressed': {
      const [message] = readFrames(response.body)
      if (headers['grpc-encoding'] !== 'gzip' || message.flags !== 1) return 'not compressed'
      return Msg.decode(gunzipSync(message.payload)).payload.byteLength === compressible.byteLength
        ? undefined
        : 'compressed payload'
    }
    case 'grpc-error':
      return trailer().includes('grpc-status: 5') &&
        trailer().includes(`x-error: ${id}`) &&
        trailer().includes(`x-failed: ${id}`)
        ? undefined
        : 'grpc error'
    case 'internal-error':
      return response.status === 500 &&
        response.body.toString() === '{"code":"internal","message":"internal error"}' &&
        headers['trailer-x-failed'] === id
        ? undefined
        : 'internal error'
    case 'twirp':
      return response.status === 200 && Msg.decode(response.body).text === id ? undefined : 'twirp'
    case 'connect-get':
      return response.status === 200 && Msg.decode(response.body).text === `found ${id}` ? undefined : 'connect get'
    case 'stream': {
      const all = readFrames(response.body)
      return all.length === 4 &&
        Msg.decode(all[2].payload).text === `${id}#2` &&
        all[3].flags === 2 &&
        all[3].payload.toString() === '{}'
        ? undefined
        : 'stream'
    }
    case 'bad-request':
      return trailer().includes('grpc-status: 3') && headers['x-echo-bad'] === undefined ? undefined : 'bad request'
    case 'bomb':
      return trailer().includes('grpc-status: 8') ? undefined : 'bomb'
  }
}

async function invoke(i) {
  const { kind, request } = scenario(i)
  const shape = shapes[i % shapes.length]
  const event = toLambdaEvent(request, shape)
  const result = await handler(event, createLambdaContext(30_000))
  return check(i, kind, fromLambdaResult(result, shape))
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
function memory() {
  gc()
  gc()
  return process.memoryUsage()
}
function report(label, usage, extra = '') {
  console.log(
    `${label.padEnd(28)} heapUsed ${mib(usage.heapUsed).padStart(10)}  rss ${mib(usage.rss).padStart(10)}  external ${mib(usage.external).padStart(9)}${extra}`,
  )
}

/** The 512 MiB gzip bomb against the default readMaxBytes (4 MiB), once as gRPC-Web and once as Connect. */
async function gzipBomb() {
  const bigBomb = gzipSync(Buffer.alloc(512 * 1024 * 1024), { level: 9 })
  const defaults = middy()
    .use(grpcFraming({ service: Soak, logger: false }))
    .handler(grpcRouter({ Echo: async ({ message }) => message }))
  const requests = [
    {
      headers: [
        ['content-type', 'application/grpc-web+proto'],
        ['grpc-encoding', 'gzip'],
      ],
      body: frame(1, bigBomb),
    },
    {
      headers: [
        ['content-type', 'application/proto'],
        ['content-encoding', 'gzip'],
      ],
      body: bigBomb,
    },
  ]
  const before = memory().rss
  const bombStarted = performance.now()
  const responses = []
  for (const { headers, body } of requests) {
    const event = toLambdaEvent({ method: 'POST', url: path('Echo'), headers, body }, 'v2')
    responses.push(fromLambdaResult(await defaults(event, createLambdaContext(30_000)), 'v2'))
  }
  const ms = performance.now() - bombStarted
  const rssGrowth = process.memoryUsage().rss - before
  const [grpcWeb, connect] = responses
  const refused =
    readFrames(grpcWeb.body).at(-1).payload.toString().includes('grpc-status: 8') &&
    JSON.parse(connect.body.toString()).code === 'resource_exhausted'
  const ok = refused && ms < bombMaxMs && rssGrowth < bombMaxRssBytes
  console.log(
    `gzip bomb (512 MiB of zeros)   ${refused ? 'refused' : 'NOT REFUSED'} in ${ms.toFixed(0)} ms (limit ${bombMaxMs}), rss ${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)} (limit ${mib(bombMaxRssBytes)})`,
  )
  return ok ? undefined : 'the gzip bomb was not refused in time and memory'
}

const problems = []
const bombProblem = await gzipBomb()
if (bombProblem !== undefined) problems.push(bombProblem)
const started = Date.now()
// Warm-up, as a container would be after its first few requests.
for (let i = 0; i < 1000; i++) await invoke(i)
const baseline = memory()
report('after 1 000 warm-up', baseline)
let first
for (let i = 0; i < sequential; i++) {
  const problem = await invoke(i)
  if (problem !== undefined) problems.push(`sequential #${i}: ${problem}`)
  if ((i + 1) % reportEvery === 0) {
    const usage = memory()
    first ??= usage
    report(
      `sequential ${(i + 1).toLocaleString('en')}`,
      usage,
      `  ${((i + 1) / ((Date.now() - started) / 1000)).toFixed(0)} calls/s`,
    )
  }
}
const afterSequential = memory()
const results = await Promise.all(Array.from({ length: concurrent }, (_, i) => invoke(sequential + i)))
results.forEach((problem, i) => {
  if (problem !== undefined) problems.push(`concurrent #${i}: ${problem}`)
})
const afterConcurrent = memory()
report(`concurrent ${concurrent.toLocaleString('en')}`, afterConcurrent)
// Once more the same number of sequential calls after the concurrent burst: memory must come back.
for (let i = 0; i < reportEvery; i++) {
  const problem = await invoke(sequential + concurrent + i)
  if (problem !== undefined) problems.push(`after burst #${i}: ${problem}`)
}
const end = memory()
report(`sequential ${reportEvery.toLocaleString('en')} more`, end)

const growth = end.heapUsed - (first ?? baseline).heapUsed
const flat = growth < flatHeapBytes
const seconds = ((Date.now() - started) / 1000).toFixed(1)
for (const problem of problems.slice(0, 20)) console.log(`  problem: ${problem}`)
console.log(
  `verdict: ${flat && problems.length === 0 ? 'PASS' : 'FAIL'} — ${(sequential + concurrent + reportEvery + 1000).toLocaleString('en')} invocations in ${seconds} s, ` +
    `${problems.length} wrong or leaked responses, heap ${growth >= 0 ? '+' : ''}${mib(growth)} from the first report to the end ` +
    `(${flat ? 'flat' : 'GROWING'}: limit ${mib(flatHeapBytes)}), rss ${mib(afterSequential.rss)} → ${mib(end.rss)}`,
)
process.exitCode = flat && problems.length === 0 ? 0 : 1
