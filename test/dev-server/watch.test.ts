import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { type CliProcess, spawnCli } from '../support/dev-clients.js'
import { buildDistIfStale, projectRoot } from '../support/dist.js'
import { checkHealthWithGrpcJs } from '../support/reflection-client.js'

const greeterRoot = protobuf.loadSync(join(projectRoot, 'examples', 'greeter', 'greeter.proto'))
const HelloRequest = greeterRoot.lookupType('hello.v1.HelloRequest')
const HelloReply = greeterRoot.lookupType('hello.v1.HelloReply')

/**
 * A greeter handler whose greeting the test edits. A call with name "hold" waits until `releaseFile` exists, so that
 * it is in flight for as long as the test needs; name "exit" ends the process it runs in (its worker).
 */
function handlerSource(greeting: string, releaseFile: string, service = 'hello.v1.Greeter'): string {
  return `import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { grpcFraming, grpcRouter } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'index.js')).href)}

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))

export const handler = middy()
  .use(grpcFraming({ service: root.lookupService(${JSON.stringify(service)}) }))
  .handler(
    grpcRouter({
      SayHello: async (event) => {
        if (event.message.name === 'hold') while (!existsSync(${JSON.stringify(releaseFile)})) await sleep(20)
        if (event.message.name === 'exit') process.exit(3)
        return { message: ${JSON.stringify(greeting)} + ', ' + event.message.name }
      },
    }),
  )
`
}

async function sayHello(url: string, name: string): Promise<string> {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  try {
    return await new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(
        '/hello.v1.Greeter/SayHello',
        (message: { name: string }) => Buffer.from(HelloRequest.encode(message).finish()),
        (bytes: Buffer) => (HelloReply.toObject(HelloReply.decode(bytes)) as { message: string }).message,
        { name },
        { deadline: Date.now() + 20_000 },
        (error, reply) => (error ? reject(error) : resolve(reply as string)),
      ),
    )
  } finally {
    client.close()
  }
}

/** Calls until the reply is `expected` (the reload is asynchronous); bounded by the attempts, then by the test's timeout. */
async function untilReply(url: string, expected: string, attempts = 300): Promise<string> {
  let reply = ''
  for (let i = 0; i < attempts && reply !== expected; i++) {
    reply = await sayHello(url, 'watch')
    if (reply !== expected) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return reply
}

/** Waits until stderr matches (bounded by the attempts, then by the test's timeout). */
async function untilStderr(cli: CliProcess, pattern: RegExp, attempts = 300): Promise<string> {
  for (let i = 0; i < attempts && !pattern.test(cli.stderr()); i++)
    await new Promise((resolve) => setTimeout(resolve, 50))
  return cli.stderr()
}

describe('middy-grpc serve --watch', () => {
  let dir: string
  let releaseFile: string
  let cli: CliProcess
  let url: string

  beforeAll(async () => {
    buildDistIfStale()
    dir = mkdtempSync(join(tmpdir(), 'middy-grpc-watch-'))
    // Outside the watched directory: creating it must not reload the handler.
    releaseFile = `${dir}-release`
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
    symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
    writeFileSync(join(dir, 'greeter.proto'), readFileSync(join(projectRoot, 'examples', 'greeter', 'greeter.proto')))
    writeFileSync(join(dir, 'handler.js'), handlerSource('Hello', releaseFile))
    cli = spawnCli([join(projectRoot, 'dist', 'cli.js'), 'serve', 'handler.js', '--watch', '--port', '0'], dir)
    ;[url] = await cli.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 20_000)
  }, 120_000)

  afterAll(() => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    rmSync(releaseFile, { force: true })
  })

  test('an edit changes the next reply on the same port; a call in flight finishes on the version it started on', async () => {
    expect(await sayHello(url, 'watch')).toBe('Hello, watch')
    const held = sayHello(url, 'hold')
    writeFileSync(join(dir, 'handler.js'), handlerSource('Howdy', releaseFile))
    expect(await untilReply(url, 'Howdy, watch')).toBe('Howdy, watch')
    writeFileSync(releaseFile, '')
    expect(await held).toBe('Hello, hold')
    expect(cli.stderr()).toContain('middy-grpc: handler.js changed: reloading handler.js#handler')
    expect(cli.stderr()).toContain('middy-grpc: reloaded handler.js#handler')
  }, 60_000)

  test('a syntax error is reported with its line while the previous version keeps serving; the fix is served', async () => {
    writeFileSync(join(dir, 'handler.js'), `${handlerSource('Broken', releaseFile)}\nexport const = 1\n`)
    const stderr = await untilStderr(cli, /failed to load; still serving the previous one/)
    expect(stderr).toContain(
      `middy-grpc: the new version of handler.js#handler failed to load; still serving the previous one:\n${join(dir, 'handler.js')}:`,
    )
    expect(stderr).toMatch(/export const = 1\n\s+\^\n\nSyntaxError: Unexpected token '='/)
    expect(await sayHello(url, 'watch')).toBe('Howdy, watch')
    writeFileSync(join(dir, 'handler.js'), handlerSource('Hi', releaseFile))
    expect(await untilReply(url, 'Hi, watch')).toBe('Hi, watch')
  }, 60_000)

  test('a worker that exits fails its call and is replaced; the next call waits for the new one', async () => {
    await expect(sayHello(url, 'exit')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
    expect(await sayHello(url, 'watch')).toMatch(/^\w+, watch$/)
    expect(cli.stderr()).toContain("middy-grpc: the handler's worker exited with code 3; loading it again")
    expect(cli.stderr()).toMatch(/the handler threw Error: the handler's worker exited with code 3 during the call/)
  }, 60_000)

  test('reflection and health describe the version serving now', async () => {
    expect(await checkHealthWithGrpcJs(url, 'hello.v1.Greeter')).toEqual({ error: null, reply: { status: 1 } })
    expect((await checkHealthWithGrpcJs(url, 'hello.v2.Greeter')).error?.code).toBe(grpc.status.NOT_FOUND)
    writeFileSync(
      join(dir, 'greeter.proto'),
      readFileSync(join(dir, 'greeter.proto'), 'utf8').replace('hello.v1', 'hello.v2'),
    )
    writeFileSync(join(dir, 'handler.js'), handlerSource('Hi', releaseFile, 'hello.v2.Greeter'))
    let health = await checkHealthWithGrpcJs(url, 'hello.v2.Greeter')
    for (let i = 0; i < 300 && health.error !== null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      health = await checkHealthWithGrpcJs(url, 'hello.v2.Greeter')
    }
    expect(health).toEqual({ error: null, reply: { status: 1 } })
    expect((await checkHealthWithGrpcJs(url, 'hello.v1.Greeter')).error?.code).toBe(grpc.status.NOT_FOUND)
  }, 60_000)
})

test('serve --watch: a start-up failure is the one-line message and exit code 1 of serve without it', async () => {
  buildDistIfStale()
  const cli = spawnCli(
    [join(projectRoot, 'dist', 'cli.js'), 'serve', 'examples/greeter/handler.js#sayHi', '--watch', '--port', '0'],
    projectRoot,
  )
  expect(await cli.exited(20_000)).toBe(1)
  expect(cli.stderr()).toMatch(
    /^middy-grpc: examples\/greeter\/handler\.js has no export named "sayHi"; its exports: handler\. [^\n]*\n$/,
  )
  expect(cli.stdout()).toBe('')
}, 60_000)

describe('middy-grpc serve --watch, a streamified handler', () => {
  let cli: CliProcess

  afterAll(() => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
  })

  test('streams the replies from the worker as the handler writes them (buf curl --reflect, gRPC; 3 messages and the trailer frame)', async () => {
    buildDistIfStale()
    cli = spawnCli(
      [join(projectRoot, 'dist', 'cli.js'), 'serve', 'examples/streaming/handler.js', '--watch', '--port', '0'],
      projectRoot,
    )
    const [url] = await cli.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 20_000)
    const { stdout } = await promisify(execFile)(
      join(projectRoot, 'node_modules', '.bin', 'buf'),
      [
        'curl',
        '--http2-prior-knowledge',
        '--reflect',
        '--protocol',
        'grpc',
        '--data',
        '{"count":3,"intervalMs":1}',
        `${url}/clock.v1.Clock/Tick`,
      ],
      { timeout: 30_000 },
    )
    const indexes = stdout.split(/\n(?=\{)/).map((text) => (JSON.parse(text) as { index?: number }).index ?? 0)
    expect(indexes).toEqual([0, 1, 2])
    expect(cli.stderr()).toMatch(/POST \/clock\.v1\.Clock\/Tick grpc HTTP\/2 → grpc-status 0 OK, streamed 4 frames/)
  }, 60_000)
})
