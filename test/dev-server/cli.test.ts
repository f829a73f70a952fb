import { createServer, type AddressInfo, type Server } from 'node:net'
import { join } from 'node:path'
import type { DescService } from '@bufbuild/protobuf'
import { createClient } from '@connectrpc/connect'
import { createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { loadClientRegistry } from '../support/client-schema.js'
import { http1Call, spawnCli, type CliProcess } from '../support/dev-clients.js'
import { buildDistIfStale, projectRoot } from '../support/dist.js'

const root = projectRoot
const fixtures = 'test/fixtures/cli'
const [major, minor] = process.versions.node.split('.').map(Number)
/** Node 24, and 22.18 or later, strip types with no flag. */
const stripsTypes = major >= 24 || (major === 22 && minor >= 18)

const processes: CliProcess[] = []

// The CLI runs from dist/ and the example imports 'middy-grpc' (dist/ too).
beforeAll(buildDistIfStale, 120_000)

afterAll(() => {
  for (const cli of processes)
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
})

const cli = (...args: string[]): CliProcess => {
  const started = spawnCli([join(root, 'dist', 'cli.js'), ...args], root)
  processes.push(started)
  return started
}

/** A unary call with grpc-js's generic client, bytes in and out. */
function grpcJsUnary(
  url: string,
  path: string,
  request: Buffer,
): Promise<{ error: grpc.ServiceError | null; reply?: Buffer }> {
  const client = new grpc.Client(url.replace('http://', ''), grpc.credentials.createInsecure())
  const identity = (bytes: Buffer): Buffer => bytes
  return new Promise<{ error: grpc.ServiceError | null; reply?: Buffer }>((resolve) =>
    client.makeUnaryRequest(path, identity, identity, request, { deadline: Date.now() + 10_000 }, (error, reply) =>
      resolve({ error, reply }),
    ),
  ).finally(() => client.close())
}

test('serves the greeter to grpc-js and connect-node gRPC-Web, logs each call, and exits 0 on SIGTERM', async () => {
  const server = cli('serve', 'examples/greeter/handler.js', '--port', '0')
  const [url] = await server.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 15_000)
  expect(server.stdout()).toContain('serving examples/greeter/handler.js#handler as API Gateway HTTP API (v2) events')
  await server.waitForOutput(/services/, 15_000)
  expect(server.stdout()).toContain(
    `middy-grpc: services hello.v1.Greeter; list their methods: buf curl --http2-prior-knowledge --list-methods ${url}\n`,
  )

  const greeterRoot = protobuf.loadSync(join(root, 'examples', 'greeter', 'greeter.proto'))
  const HelloRequest = greeterRoot.lookupType('hello.v1.HelloRequest')
  const HelloReply = greeterRoot.lookupType('hello.v1.HelloReply')
  const native = await grpcJsUnary(
    url,
    '/hello.v1.Greeter/SayHello',
    Buffer.from(HelloRequest.encode({ name: 'grpc-js' }).finish()),
  )
  expect(native.error).toBeNull()
  expect(HelloReply.toObject(HelloReply.decode(native.reply!))).toEqual({ message: 'Hello, grpc-js' })
  const failed = await grpcJsUnary(
    url,
    '/hello.v1.Greeter/Fail',
    Buffer.from(HelloRequest.encode({ name: 'x' }).finish()),
  )
  expect([failed.error?.code, failed.error?.details]).toEqual([grpc.status.NOT_FOUND, 'no such user'])

  const greeter = loadClientRegistry('examples/greeter').getService('hello.v1.Greeter') as DescService
  const web: any = createClient(greeter, createGrpcWebTransport({ baseUrl: url, httpVersion: '1.1' }))
  expect((await web.sayHello({ name: 'web' }, { timeoutMs: 10_000 })).message).toBe('Hello, web')

  server.child.kill('SIGTERM')
  expect(await server.exited(10_000)).toBe(0)
  expect(server.stderr()).toMatch(/POST \/hello\.v1\.Greeter\/SayHello grpc HTTP\/2 → grpc-status 0 OK/)
  expect(server.stderr()).toMatch(/POST \/hello\.v1\.Greeter\/SayHello grpc-web HTTP\/1\.1 → grpc-status 0 OK/)
  expect(server.stderr()).toContain('SIGTERM, shutting down')
})

describe('start-up failures: one line saying what to fix, no stack, exit 1', () => {
  let occupied: Server

  beforeAll(async () => {
    occupied = createServer()
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())))

  test('the port is in use', async () => {
    const port = (occupied.address() as AddressInfo).port
    const run = cli('serve', 'examples/greeter/handler.js', '--port', String(port))
    expect(await run.exited(15_000)).toBe(1)
    expect(run.stderr()).toBe(
      `middy-grpc: port ${port} on 127.0.0.1 is in use (another middy-grpc serve?): stop that process, or pick ` +
        'another port with --port (--port 0 for any free one)\n',
    )
    expect(run.stdout()).toBe('')
  })

  test('the handler file does not exist', async () => {
    const run = cli('serve', 'examples/nowhere.js')
    expect(await run.exited(15_000)).toBe(1)
    expect(run.stderr()).toBe(
      `middy-grpc: cannot find handler module examples/nowhere.js (looked for ${join(root, 'examples', 'nowhere.js')}): ` +
        'the path is relative to the working directory\n',
    )
  })

  test('the export is missing: the exports found are named', async () => {
    const run = cli('serve', `${fixtures}/exports.mjs`, '--port', '0')
    expect(await run.exited(15_000)).toBe(1)
    expect(run.stderr()).toBe(
      `middy-grpc: ${fixtures}/exports.mjs has no export named "handler"; its exports: sayHello, version. ` +
        `Name one after '#': middy-grpc serve ${fixtures}/exports.mjs#sayHello\n`,
    )
    const named = cli('serve', 'examples/greeter/handler.js#sayHi', '--port', '0')
    expect(await named.exited(15_000)).toBe(1)
    expect(named.stderr()).toContain('examples/greeter/handler.js has no export named "sayHi"; its exports: handler.')
  })

  test('ES module syntax in a CommonJS project: add "type": "module" or use .mjs', async () => {
    const run = cli('serve', `${fixtures}/commonjs/handler.js`, '--port', '0')
    expect(await run.exited(15_000)).toBe(1)
    const packageJson = join(root, fixtures, 'commonjs', 'package.json')
    expect(run.stderr()).toBe(
      `middy-grpc: cannot load ${fixtures}/commonjs/handler.js: it uses ES module syntax (import/export), but Node ` +
        `loads it as CommonJS (${packageJson} has "type": "commonjs"). The handler must be an ES module: add ` +
        `"type": "module" to ${packageJson}, or rename it to .mjs.\n`,
    )
  })

  ;(stripsTypes ? test.skip : test)('a .ts handler on a Node without type stripping: how to run it', async () => {
    const run = cli('serve', `${fixtures}/typescript/enum-handler.ts`, '--port', '0')
    expect(await run.exited(15_000)).toBe(1)
    expect(run.stderr()).toBe(
      `middy-grpc: cannot load ${fixtures}/typescript/enum-handler.ts: this Node (${process.version}) does not run ` +
        'TypeScript. Node 24 and 22.18 or later strip types with no flag; on Node 20 install tsx (npm install -D ' +
        `tsx) and run NODE_OPTIONS='--import tsx' npx middy-grpc serve ${fixtures}/typescript/enum-handler.ts. Or ` +
        'serve the compiled .js file.\n',
    )
  })

  ;(stripsTypes ? test : test.skip)('a .ts handler with an enum on a type-stripping Node: what to change', async () => {
    const run = cli('serve', `${fixtures}/typescript/enum-handler.ts`, '--port', '0')
    expect(await run.exited(15_000)).toBe(1)
    expect(run.stderr()).toMatch(
      /^middy-grpc: cannot load .*enum-handler\.ts: .*erasable syntax only \(no enum, namespace or parameter properties\)/,
    )
    expect(run.stderr().split('\n')).toHaveLength(2)
  })

  test('bad options: usage and exit 2', async () => {
    const run = cli('serve', 'examples/greeter/handler.js', '--event', 'v3')
    expect(await run.exited(15_000)).toBe(2)
    expect(run.stderr()).toContain('--event must be one of v1, v2, alb, alb-multi, url, got "v3"')
    expect(run.stderr()).toContain('Usage: middy-grpc serve')
  })
})

describe('--cors', () => {
  const preflight = (origin: string) => ({
    method: 'OPTIONS',
    path: '/hello.v1.Greeter/SayHello',
    headers: { origin, 'access-control-request-method': 'POST' },
  })
  const allowOrigin = (headers: [string, string][]): string | undefined =>
    headers.find(([name]) => name === 'access-control-allow-origin')?.[1]

  test('bare, before the handler path: http://localhost and http://127.0.0.1 on any port', async () => {
    const server = cli('serve', '--cors', 'examples/greeter/handler.js', '--port', '0')
    const [url] = await server.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 15_000)
    expect(allowOrigin((await http1Call(url, preflight('http://localhost:5173'))).headers)).toBe(
      'http://localhost:5173',
    )
    expect(allowOrigin((await http1Call(url, preflight('http://evil.example'))).headers)).toBeUndefined()
    server.child.kill('SIGTERM')
    expect(await server.exited(10_000)).toBe(0)
  })

  test('repeated and comma-separated origins: those only', async () => {
    const server = cli(
      'serve',
      'examples/greeter/handler.js',
      '--cors',
      'http://app.test',
      '--cors=http://other.test,http://third.test',
      '--port',
      '0',
    )
    const [url] = await server.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 15_000)
    for (const origin of ['http://app.test', 'http://other.test', 'http://third.test'])
      expect(allowOrigin((await http1Call(url, preflight(origin))).headers)).toBe(origin)
    expect(allowOrigin((await http1Call(url, preflight('http://localhost:5173'))).headers)).toBeUndefined()
    server.child.kill('SIGTERM')
    expect(await server.exited(10_000)).toBe(0)
  })

  test('a value that is not an origin: usage and exit 2', async () => {
    const run = cli('serve', 'examples/greeter/handler.js', '--cors', 'http://app.test/path')
    expect(await run.exited(15_000)).toBe(2)
    expect(run.stderr()).toContain(
      '--cors takes origins such as http://localhost:5173 (no path), got "http://app.test/path"',
    )
  })
})
