// Compiles bench/*.ts with esbuild (src bundled in, node_modules left to node) into bench/.out and runs them.
// Usage: node bench/run.mjs [--quick] [throughput] [cold-start] [memory]   (default: all three, in that order)
// --quick: a smoke run (few rounds, short batches, few processes) that checks every contestant's replies and prints
// every table; its figures are too noisy to quote.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = join(benchDir, '..')
const outDir = join(benchDir, '.out')
const all = ['throughput', 'cold-start', 'memory', 'families']
const selected = process.argv.slice(2).filter((arg) => all.includes(arg))
const parts = selected.length > 0 ? selected : all
const quick = process.argv.includes('--quick')

if (parts.includes('families')) (await import('../test/typed/generate.mjs')).default()

await build({
  entryPoints: parts.map((part) => join(benchDir, `${part}.ts`)),
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
})

for (const part of parts) {
  console.log(`\n## ${part}\n`)
  const flags = [
    // gc() before the allocation and memory measurements; it changes nothing else.
    '--expose-gc',
    ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ]
  const result = spawnSync(process.execPath, [...flags, join(outDir, `${part}.mjs`)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_ROOT: root, ...(quick ? { BENCH_QUICK: '1' } : {}) },
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
