#!/usr/bin/env node
import { parseArgs } from 'node:util'
import type { EventShape } from './event/shape.js'
import { corsLocalOrigins } from './dev-server/cors.js'
import { StartupError, loadHandler } from './dev-server/load-handler.js'
import { createDevServer, type DevServer } from './dev-server/server.js'
import { describeRegisteredServices } from './dev-server/file-descriptors.js'
import { createReflectionServices } from './dev-server/reflection.js'
import { watchHandler } from './dev-server/watch.js'

const usage = `Usage: middy-grpc serve <handler-module>[#export] [options]

Serves a Lambda handler locally as a real gRPC / gRPC-Web / Connect / Twirp server, over HTTP/1.1 and HTTP/2
cleartext (h2c) on one port. Each request becomes a Lambda event of the chosen shape; gRPC replies over HTTP/2 get
real trailers, so native gRPC clients work.

  <handler-module>   an ES module (.mjs, or .js in a package with "type": "module"); the export is
                     "handler" unless named after '#'. A .ts handler runs as it is on Node 24 and 22.18 or
                     later (type stripping); on Node 20: npm install -D tsx, then
                     NODE_OPTIONS='--import tsx' npx middy-grpc serve ./handler.ts

Options:
  --event <shape>    v1 (REST API) | v2 (HTTP API, default) | alb | alb-multi | url (Function URL)
  --port <n>         port to listen on (default 3000; 0 picks a free one)
  --host <host>      address to listen on (default 127.0.0.1). Requests whose Host is not loopback, this
                     host, or (with 0.0.0.0 or ::) an IP address get 403 (DNS rebinding)
  --timeout <ms>     the function's timeout, for context.getRemainingTimeInMillis() (default 30000)
  --cors [origins]   answer CORS preflights and add CORS headers for these origins (repeat the option or
                     separate with commas; host:* for any port); bare: ${corsLocalOrigins.join(' and ')}
  --verbose          dump request and response headers and frames (credentials and -bin values redacted)
  --watch            load the handler again when a file in its directory changes (each version in a worker
                     thread of its own; calls in flight finish on the version they started on)
  --no-reflection    do not answer gRPC server reflection (grpc.reflection.v1, v1alpha) and grpc.health.v1.Health/Check
                     (on by default, over HTTP/2, from the services the handler's grpcFraming instances serve)
  -h, --help         show this help
`

const eventShapes: readonly EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']
const eventNames: Record<EventShape, string> = {
  v1: 'API Gateway REST API (v1)',
  v2: 'API Gateway HTTP API (v2)',
  alb: 'ALB',
  'alb-multi': 'ALB with multi-value headers',
  url: 'Function URL',
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: withCorsValues(argv),
    allowPositionals: true,
    strict: true,
    options: {
      event: { type: 'string', default: 'v2' },
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      timeout: { type: 'string', default: '30000' },
      cors: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      'no-reflection': { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    return
  }
  const [command, target, ...rest] = positionals
  if (command !== 'serve')
    throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`)
  if (target === undefined) throw new UsageError('missing <handler-module>')
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`)
  const eventShape = values.event as EventShape
  if (!eventShapes.includes(eventShape))
    throw new UsageError(`--event must be one of ${eventShapes.join(', ')}, got "${values.event}"`)
  const port = parseInteger('--port', String(values.port), 0, 65535)
  const timeoutMs = parseInteger('--timeout', String(values.timeout), 1, 15 * 60 * 1000)
  const cors = corsOption(values.cors)

  const log = (line: string): void => void process.stderr.write(`${line}\n`)
  const { handler, label, streaming, describe } = values.watch
    ? await watchHandler(target, { log })
    : { ...(await loadHandler(target)), streaming: undefined, describe: describeRegisteredServices }
  const server = await createDevServer({
    handler,
    streaming,
    eventShape,
    port,
    host: values.host,
    timeoutMs,
    cors,
    verbose: values.verbose,
    localServices: values['no-reflection'] ? undefined : createReflectionServices(describe),
  }).catch((error: NodeJS.ErrnoException) => {
    throw explainListenError(error, port, values.host) ?? error
  })
  process.stdout.write(
    `middy-grpc: serving ${label} as ${eventNames[eventShape]} events at ${server.url} (HTTP/1.1 and h2c)\n`,
  )
  const { serviceNames } = describe()
  if (serviceNames.length > 0) {
    const listing = values['no-reflection']
      ? ''
      : `; list their methods: buf curl --http2-prior-knowledge --list-methods ${server.url}`
    process.stdout.write(`middy-grpc: services ${serviceNames.join(', ')}${listing}\n`)
  }
  handleSignals(server)
}

function parseInteger(option: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new UsageError(`${option} must be an integer from ${min} to ${max}, got "${text}"`)
  return value
}

/**
 * `--cors` takes an optional value: a bare `--cors` (followed by nothing, another option or the handler path) becomes
 * `--cors=`, which stands for the local origins; `--cors http://…` keeps its value.
 */
function withCorsValues(argv: string[]): string[] {
  return argv.map((arg, i) => (arg === '--cors' && !/^https?:\/\//i.test(argv[i + 1] ?? '') ? '--cors=' : arg))
}

/** The `cors` option: off without `--cors`; each value split on commas; an empty one is the local origins. */
function corsOption(values: string[]): boolean | string[] {
  if (values.length === 0) return false
  const origins = new Set<string>()
  for (const value of values) {
    const items = value.split(',').map((item) => item.trim())
    for (const item of items.every((item) => item === '') ? corsLocalOrigins : items) if (item !== '') origins.add(item)
  }
  for (const origin of origins)
    if (!/^https?:\/\/[^/\s]+$/i.test(origin))
      throw new UsageError(`--cors takes origins such as http://localhost:5173 (no path), got "${origin}"`)
  return [...origins]
}

/** One message with its fix for the listen errors a developer meets. */
function explainListenError(error: NodeJS.ErrnoException, port: number, host: string): StartupError | undefined {
  if (error.code === 'EADDRINUSE')
    return new StartupError(
      `port ${port} on ${host} is in use (another middy-grpc serve?): stop that process, or pick another port ` +
        `with --port (--port 0 for any free one)`,
    )
  if (error.code === 'EACCES')
    return new StartupError(`port ${port} on ${host} needs privileges: pick a port from 1024 up with --port`)
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return new StartupError(`cannot listen on ${host}: it is not an address of this machine (see --host)`)
  return undefined
}

function handleSignals(server: DevServer): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`middy-grpc: ${signal} again, exiting now\n`)
      process.exit(130)
    }
    stopping = true
    process.stderr.write(`middy-grpc: ${signal}, shutting down\n`)
    void server.close(3000).then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`middy-grpc: ${(error as Error).message}\n\n${usage}`)
    process.exit(2)
  }
  process.stderr.write(
    `middy-grpc: ${error instanceof StartupError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  )
  process.exit(1)
})
