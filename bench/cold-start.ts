/**
 * Cold start, per contestant: each entry (bench/cold/*) is built twice with esbuild, once with node_modules left to
 * node (what a zip of node_modules deploys) and once as one minified bundle (what most Lambda builds deploy). A fresh
 * node process imports it and calls it once (bench/cold/driver.mjs); the times are read from performance.now()
 * (milliseconds since the process started) and the same measure of an empty entry is subtracted. Every run starts
 * one process per contestant and variant (see jobsOfRun); medians of `BENCH_COLD_RUNS` (default 50, 5 with --quick) runs. The cost of middy-grpc over bare
 * Middy is also taken per run, between two processes started one after the other (so that load from other processes
 * hits both alike): the median of those differences, with their interquartile range.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, statSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { frame } from '../test/support/frames.js'
import { profileLine, repoRoot } from './schema.js'

const runs = Number(process.env.BENCH_COLD_RUNS ?? (process.env.BENCH_QUICK === '1' ? 5 : 50))
const coldDir = join(repoRoot, 'bench', 'cold')
const outDir = join(repoRoot, 'bench', '.out', 'cold')
const contestants = ['empty', 'floor', 'bare-middy', 'middy-grpc', 'connect-es']
const variants = ['node_modules', 'bundled'] as const

mkdirSync(outDir, { recursive: true })
copyFileSync(join(repoRoot, 'examples', 'greeter', 'greeter.proto'), join(outDir, 'greeter.proto'))
copyFileSync(join(coldDir, 'driver.mjs'), join(outDir, 'driver.mjs'))

const sizes = new Map<string, { bytes: number; gzip: number }>()
for (const name of contestants) {
  const entry = join(coldDir, `${name}.ts`)
  for (const variant of variants) {
    const outfile = join(outDir, `${name}.${variant}.mjs`)
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: variant === 'bundled',
      packages: variant === 'bundled' ? undefined : 'external',
      alias: { 'middy-grpc': join(repoRoot, 'src', 'index.ts') },
      // Some CommonJS dependencies (protobufjs) call require(): give the ESM bundle one.
      banner:
        variant === 'bundled'
          ? { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }
          : undefined,
      logLevel: 'error',
    })
    if (variant === 'bundled')
      sizes.set(name, { bytes: statSync(outfile).size, gzip: gzipSync(readFileSync(outfile)).length })
  }
}

// gRPC-Web SayHello { name: "world" } in an HTTP API v2 event.
const request = Buffer.from([0x0a, 0x05, ...Buffer.from('world')])
const event = JSON.stringify({
  version: '2.0',
  routeKey: '$default',
  rawPath: '/hello.v1.Greeter/SayHello',
  rawQueryString: '',
  headers: {
    'content-type': 'application/grpc-web+proto',
    'x-grpc-web': '1',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
  },
  requestContext: {
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    http: { method: 'POST', path: '/hello.v1.Greeter/SayHello' },
  },
  body: frame(0, request).toString('base64'),
  isBase64Encoded: true,
})

/**
 * One run's processes: per variant, bare Middy and middy-grpc back to back (which first alternates from run to run),
 * so that their difference is taken between neighbours; the other contestants rotated around them.
 */
function jobsOfRun(run: number): [string, (typeof variants)[number]][] {
  const others = ['empty', 'floor', 'connect-es']
  const jobs: [string, (typeof variants)[number]][] = []
  for (const variant of variants) {
    const pair = run % 2 === 0 ? ['bare-middy', 'middy-grpc'] : ['middy-grpc', 'bare-middy']
    const other = others[(run + jobs.length) % others.length]
    jobs.push(...pair.map((name) => [name, variant] as [string, (typeof variants)[number]]))
    jobs.push([other, variant])
  }
  for (const name of others) {
    for (const variant of variants) if (!jobs.some(([n, v]) => n === name && v === variant)) jobs.push([name, variant])
  }
  return jobs
}

const samples = new Map<string, { afterImport: number[]; afterCall: number[] }>()
for (let run = 0; run < runs; run++) {
  for (const [name, variant] of jobsOfRun(run)) {
    const out = execFileSync(
      process.execPath,
      [join(outDir, 'driver.mjs'), join(outDir, `${name}.${variant}.mjs`), event],
      {
        encoding: 'utf8',
      },
    )
    const result = JSON.parse(out)
    if (name !== 'empty') {
      const body = Buffer.from(result.body, 'base64').toString('latin1')
      if (result.statusCode !== 200 || !body.includes('Hello, world') || !body.includes('grpc-status: 0')) {
        throw new Error(`${name} (${variant}) replied wrong: ${out}`)
      }
    }
    const key = `${name}/${variant}`
    const sample = samples.get(key) ?? { afterImport: [], afterCall: [] }
    sample.afterImport.push(result.afterImport)
    sample.afterCall.push(result.afterCall)
    samples.set(key, sample)
  }
}

/** The q-quantile, linearly interpolated. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low)
}
const median = (values: number[]) => quantile(values, 0.5)

console.log(
  `${profileLine()}; median of ${runs} fresh processes each, minus the empty entry; every first reply checked`,
)
console.log('')
console.log(
  '| contestant | import (node_modules) | import + first call (node_modules) | import (bundled) | import + first call (bundled) | bundle (minified) | gzip |',
)
console.log('|---|---|---|---|---|---|---|')
const base = (variant: string) => samples.get(`empty/${variant}`)!
for (const name of contestants.slice(1)) {
  const cells: string[] = []
  for (const variant of variants) {
    const s = samples.get(`${name}/${variant}`)!
    cells.push(`${(median(s.afterImport) - median(base(variant).afterImport)).toFixed(1)} ms`)
    cells.push(`${(median(s.afterCall) - median(base(variant).afterImport)).toFixed(1)} ms`)
  }
  const size = sizes.get(name)!
  console.log(
    `| ${name} | ${cells.join(' | ')} | ${(size.bytes / 1024).toFixed(1)} KiB | ${(size.gzip / 1024).toFixed(1)} KiB |`,
  )
}
console.log(
  `\nbare node (empty entry): ${median(base('node_modules').afterImport).toFixed(1)} ms to the end of the import`,
)

// middy-grpc minus bare Middy, per run (same iteration), import + first call.
console.log('')
console.log('| middy-grpc − bare Middy, same run | median | interquartile range |')
console.log('|---|---|---|')
for (const variant of variants) {
  const grpc = samples.get(`middy-grpc/${variant}`)!.afterCall
  const bare = samples.get(`bare-middy/${variant}`)!.afterCall
  const differences = grpc.map((value, i) => value - bare[i])
  console.log(
    `| import + first call (${variant}) | ${median(differences).toFixed(1)} ms | ${quantile(differences, 0.25).toFixed(1)} to ${quantile(differences, 0.75).toFixed(1)} ms |`,
  )
}
