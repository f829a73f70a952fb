#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { EventShape } from './event/shape.js'
import { createDevServer, type DevServer } from './dev-server/server.js'
import type { LambdaHandler } from './dev-server/lambda-runtime.js'
import { installAwsLambdaGlobal } from './dev-server/streaming.js'

const usage = `Usage: middy-grpc serve <handler-module>[#export] [options]

Serves a Lambda handler locally as a real gRPC / gRPC-Web / Connect / Twirp server, over HTTP/1.1 and HTTP/2
cleartext (h2c) on one port. Each request becomes a Lambda event of the chosen shape; gRPC replies over HTTP/2 get
real trailers, so native gRPC clients work.

  <handler-module>   an ES module (.js/.mjs); the export is "handler" unless named after '#'
                     (.ts needs a TypeScript-capable Node: node --experimental-strip-types (Node >= 22.6),
                     or a loader such as tsx: node --import tsx ./node_modules/middy-grpc/dist/cli.js serve h.ts)

Options:
  --event <shape>    v1 (REST API) | v2 (HTTP API, default) | alb | alb-multi | url (Function URL)
  --port <n>         port to listen on (default 3000; 0 picks a free one)
  --host <host>      address to listen on (default 127.0.0.1)
  --timeout <ms>     the function's timeout, for context.getRemainingTimeInMillis() (default 30000)
  --cors             answer CORS preflights and add CORS headers, for browser clients on another origin
  --verbose          dump request and response headers and frames
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
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      event: { type: 'string', default: 'v2' },
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      timeout: { type: 'string', default: '30000' },
      cors: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
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

  const { handler, label } = await loadHandler(target)
  const server = await createDevServer({
    handler,
    eventShape,
    port,
    host: values.host,
    timeoutMs,
    cors: values.cors,
    verbose: values.verbose,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE')
      throw new CliError(`port ${port} on ${values.host} is in use: pick another with --port (0 for any free port)`)
    throw error
  })
  process.stdout.write(
    `middy-grpc: serving ${label} as ${eventNames[eventShape]} events at ${server.url} (HTTP/1.1 and h2c)\n`,
  )
  handleSignals(server)
}

function parseInteger(option: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new UsageError(`${option} must be an integer from ${min} to ${max}, got "${text}"`)
  return value
}

/** Imports `module[#export]` relative to the working directory; the export defaults to `handler`. */
async function loadHandler(target: string): Promise<{ handler: LambdaHandler; label: string }> {
  const hash = existsSync(resolve(target)) ? -1 : target.lastIndexOf('#')
  const modulePath = hash === -1 ? target : target.slice(0, hash)
  const exportName = hash === -1 || hash === target.length - 1 ? 'handler' : target.slice(hash + 1)
  const file = resolve(modulePath)
  // Streamified handlers (Lambda response streaming) call awslambda.streamifyResponse while their module loads.
  installAwsLambdaGlobal()
  if (!existsSync(file) || !statSync(file).isFile())
    throw new CliError(`cannot find handler module ${modulePath} (looked for ${file})`)
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    const code = (error as { code?: string }).code
    const typescript = ['.ts', '.mts', '.cts', '.tsx'].includes(extname(file))
    if (typescript && (code === 'ERR_UNKNOWN_FILE_EXTENSION' || error instanceof SyntaxError)) {
      throw new CliError(
        `cannot load ${modulePath}: this Node (${process.version}) does not run TypeScript. Use Node >= 22.6 with ` +
          `--experimental-strip-types (NODE_OPTIONS=--experimental-strip-types), a loader (node --import tsx ...), ` +
          `or point at the compiled .js file.`,
      )
    }
    throw new CliError(`cannot load ${modulePath}: ${(error as Error).stack ?? String(error)}`)
  }
  // CommonJS modules arrive as a default export holding module.exports.
  const commonJs =
    module.default !== null && typeof module.default === 'object'
      ? (module.default as Record<string, unknown>)
      : undefined
  const handler = exportName in module ? module[exportName] : commonJs?.[exportName]
  if (handler === undefined) {
    const names = [...new Set([...Object.keys(module), ...Object.keys(commonJs ?? {})])]
    throw new CliError(
      `${modulePath} has no export named "${exportName}"` +
        (names.length > 0
          ? `; its exports: ${names.join(', ')}. Pick one with ${modulePath}#<export>`
          : ' (it exports nothing)'),
    )
  }
  if (typeof handler !== 'function')
    throw new CliError(`${modulePath}#${exportName} is a ${typeof handler}, not a function`)
  return { handler: handler as LambdaHandler, label: `${modulePath}#${exportName}` }
}

class CliError extends Error {}

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
    `middy-grpc: ${error instanceof CliError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  )
  process.exit(1)
})
