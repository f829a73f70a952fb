import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The CLI runs from dist/ and the examples import 'middy-grpc' (dist/ too): compiles when dist/ is older than src/. */
export function buildDistIfStale(): void {
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
        entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
      ),
    )
  let built = 0
  try {
    built = Math.min(
      statSync(join(projectRoot, 'dist', 'cli.js')).mtimeMs,
      statSync(join(projectRoot, 'dist', 'dev-server', 'server.js')).mtimeMs,
    )
  } catch {
    built = 0
  }
  if (built < newest(join(projectRoot, 'src'))) {
    execFileSync(
      process.execPath,
      [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: projectRoot, stdio: 'pipe' },
    )
  }
}
