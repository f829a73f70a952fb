import { execFile, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const script = join(dirname(fileURLToPath(import.meta.url)), 'grpcio_client.py')

/** Debian's python3-grpcio, for /usr/bin/python3 (scripts/setup-e2e.sh installs it where it can). */
export const hasGrpcio = spawnSync('/usr/bin/python3', ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0

export interface GrpcioResult {
  reply: string
  trailers: [string, string][]
  error?: { code: number; details: string }
}

/** Runs Echo then Fail against `url` (h2c); requests are encoded TestService messages. */
export async function callWithGrpcio(
  url: string,
  echoRequest: Uint8Array,
  failRequest: Uint8Array,
): Promise<GrpcioResult> {
  // Not spawnSync: the server under test runs in this process.
  const run = await promisify(execFile)(
    '/usr/bin/python3',
    [
      script,
      url.replace('http://', ''),
      Buffer.from(echoRequest).toString('hex'),
      Buffer.from(failRequest).toString('hex'),
    ],
    { encoding: 'utf8', timeout: 20_000 },
  )
  if (run.stderr !== '') throw new Error(`grpcio client: ${run.stderr}`)
  return JSON.parse(run.stdout) as GrpcioResult
}
