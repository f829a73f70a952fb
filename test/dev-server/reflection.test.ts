import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'
import * as grpc from '@grpc/grpc-js'
import { type CliProcess, spawnCli } from '../support/dev-clients.js'
import { buildDistIfStale, projectRoot } from '../support/dist.js'
import { checkHealthWithGrpcJs, reflectWithGrpcJs } from '../support/reflection-client.js'

const buf = join(projectRoot, 'node_modules', '.bin', 'buf')
const v1 = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'
const v1alpha = '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo'

/** buf curl's exit code and output; exit code 8 × the gRPC status on RPC errors. */
async function bufCurl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(buf, ['curl', '--http2-prior-knowledge', ...args], {
      timeout: 30_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('middy-grpc serve: gRPC server reflection and health', () => {
  const processes: CliProcess[] = []
  let url: string
  let server: CliProcess

  beforeAll(async () => {
    buildDistIfStale()
    server = spawnCli(
      [join(projectRoot, 'dist', 'cli.js'), 'serve', 'examples/greeter/handler.js', '--port', '0'],
      projectRoot,
    )
    processes.push(server)
    ;[url] = await server.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 15_000)
  }, 120_000)

  afterAll(() => {
    for (const cli of processes)
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
  })

  test('buf curl --list-methods lists the greeter from reflection (Connect, its default)', async () => {
    const listed = await bufCurl('--list-methods', url)
    expect(listed).toMatchObject({ code: 0, stderr: '' })
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(['hello.v1.Greeter/Fail', 'hello.v1.Greeter/SayHello'])
  })

  test.each([
    ['connect', 'grpc-v1'],
    ['grpc', 'grpc-v1'],
    ['grpc', 'grpc-v1alpha'],
  ])('buf curl --reflect --protocol %s --reflect-protocol %s calls the greeter', async (protocol, reflectProtocol) => {
    const called = await bufCurl(
      '--reflect',
      '--protocol',
      protocol,
      '--reflect-protocol',
      reflectProtocol,
      '--data',
      '{"name":"buf"}',
      `${url}/hello.v1.Greeter/SayHello`,
    )
    expect(called).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(called.stdout)).toEqual({ message: 'Hello, buf' })
    const failed = await bufCurl('--reflect', '--protocol', protocol, '--data', '{}', `${url}/hello.v1.Greeter/Fail`)
    expect(failed.code).toBe(8 * grpc.status.NOT_FOUND)
  })

  test.each([v1, v1alpha])(
    'grpc-js on %s: list, file containing a symbol, file by name, unknown symbol',
    async (path) => {
      const [listed, bySymbol, byName, unknown] = await reflectWithGrpcJs(url, path, [
        { host: 'localhost', list_services: '' },
        { file_containing_symbol: 'hello.v1.Greeter.SayHello' },
        { file_by_filename: 'greeter.proto' },
        { file_containing_symbol: 'hello.v1.Nope' },
      ])
      expect(listed).toEqual({
        valid_host: 'localhost',
        original_request: { host: 'localhost', list_services: '' },
        list_services_response: { service: [{ name: 'hello.v1.Greeter' }] },
      })
      const files: Buffer[] = bySymbol.file_descriptor_response.file_descriptor_proto
      expect(files).toHaveLength(1)
      expect(byName.file_descriptor_response.file_descriptor_proto).toEqual(files)
      // @bufbuild/protobuf builds a registry from them: the file is complete.
      const file = fromBinary(FileDescriptorProtoSchema, files[0])
      const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [file] }))
      expect(registry.getService('hello.v1.Greeter')?.methods.map((method) => method.name)).toEqual([
        'SayHello',
        'Fail',
      ])
      expect(registry.getMessage('hello.v1.HelloRequest')?.fields.map((field) => field.name)).toEqual(['name'])
      expect([file.name, file.package, file.syntax]).toEqual(['greeter.proto', 'hello.v1', 'proto3'])
      expect(unknown.error_response).toEqual({
        error_code: grpc.status.NOT_FOUND,
        error_message: 'symbol "hello.v1.Nope" not found',
      })
    },
  )

  test('grpc-js Health/Check: SERVING for "" and the greeter, NOT_FOUND for other services', async () => {
    expect(await checkHealthWithGrpcJs(url, '')).toEqual({ error: null, reply: { status: 1 } })
    expect(await checkHealthWithGrpcJs(url, 'hello.v1.Greeter')).toEqual({ error: null, reply: { status: 1 } })
    const unknown = await checkHealthWithGrpcJs(url, 'hello.v1.Nope')
    expect([unknown.error?.code, unknown.error?.details]).toEqual([
      grpc.status.NOT_FOUND,
      'unknown service hello.v1.Nope',
    ])
  })

  test('--no-reflection: reflection and health reach the handler, which does not serve them', async () => {
    const plain = spawnCli(
      [join(projectRoot, 'dist', 'cli.js'), 'serve', 'examples/greeter/handler.js', '--port', '0', '--no-reflection'],
      projectRoot,
    )
    processes.push(plain)
    const [plainUrl] = await plain.waitForOutput(/http:\/\/127\.0\.0\.1:\d+/, 15_000)
    // The start-up line names the services without pointing at reflection.
    await plain.waitForOutput(/services/, 15_000)
    expect(plain.stdout()).toContain('middy-grpc: services hello.v1.Greeter\n')
    const health = await checkHealthWithGrpcJs(plainUrl, '')
    expect(health.error?.code).toBe(grpc.status.UNIMPLEMENTED)
    // Sent and half-closed at once: through the Lambda emulation a stream is answered only after its request ended.
    const client = new grpc.Client(plainUrl.replace('http://', ''), grpc.credentials.createInsecure())
    const identity = (bytes: Buffer): Buffer => bytes
    const call = client.makeBidiStreamRequest(v1, identity, identity, new grpc.Metadata(), {
      deadline: Date.now() + 10_000,
    })
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve))
    call.on('error', () => undefined)
    call.write(Buffer.from([0x3a, 0x00]))
    call.end()
    expect((await status).code).toBe(grpc.status.UNIMPLEMENTED)
    client.close()
    plain.child.kill('SIGTERM')
    expect(await plain.exited(10_000)).toBe(0)
  })
})
