// `npm start`: serves examples/greeter/handler.js with the local gateway and calls SayHello with three kinds of
// client: gRPC-Web and Connect (connect-node, HTTP/1.1) and native gRPC (@grpc/grpc-js, HTTP/2 with real trailers).
// Run `npm run build` first (npm start does): the handler imports 'middy-grpc', which resolves to dist/.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf'
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'
import { createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { createDevServer } from 'middy-grpc/dev-server'
import { handler } from './greeter/handler.js'

const greeterDir = fileURLToPath(new URL('./greeter/', import.meta.url))
const buf = fileURLToPath(new URL('../node_modules/.bin/buf', import.meta.url))
const callTimeoutMs = 10_000

// connect-node needs @bufbuild/protobuf descriptors: compile greeter.proto with buf, no code generation.
const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, execFileSync(buf, ['build', '-o', '-#format=binpb', '.'], { cwd: greeterDir })),
)
const Greeter = registry.getService('hello.v1.Greeter')
// grpc-js takes bytes: protobufjs serializes them.
const root = protobuf.loadSync(`${greeterDir}greeter.proto`)
const HelloRequest = root.lookupType('hello.v1.HelloRequest')
const HelloReply = root.lookupType('hello.v1.HelloReply')

// The dev server's log lines (one per call) go to stdout here, indented, to keep them in order with the replies.
const server = await createDevServer({ handler, eventShape: 'v2', logger: (line) => console.log(`    │ ${line}`) })
console.log(`dev server for examples/greeter/handler.js at ${server.url} (HTTP/1.1 and h2c, HTTP API v2 events)\n`)

const results = []
async function run(label, required, call) {
  try {
    const reply = await call()
    console.log(`✔ ${label}: ${JSON.stringify(reply)}`)
    results.push({ label, ok: true })
  } catch (error) {
    const marker = required ? '✘' : '!'
    console.log(`${marker} ${label} failed${required ? '' : ' (not required yet)'}: ${error?.message ?? error}`)
    results.push({ label, ok: false, required })
  }
}

await run('gRPC-Web (connect-node, HTTP/1.1)', true, async () => {
  const client = createClient(Greeter, createGrpcWebTransport({ baseUrl: server.url, httpVersion: '1.1' }))
  const reply = await client.sayHello({ name: 'gRPC-Web' }, { timeoutMs: callTimeoutMs })
  return { message: reply.message }
})

await run('Connect (connect-node, HTTP/1.1)', true, async () => {
  const client = createClient(Greeter, createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }))
  const reply = await client.sayHello({ name: 'Connect' }, { timeoutMs: callTimeoutMs })
  return { message: reply.message }
})

await run('gRPC (@grpc/grpc-js, h2c with trailers)', true, () => callGrpcJs({ name: 'gRPC' }))

await run('gRPC error (@grpc/grpc-js, Fail)', true, () =>
  callGrpcJs({ name: 'nobody' }, '/hello.v1.Greeter/Fail').then(
    () => {
      throw new Error('Fail succeeded')
    },
    (error) => {
      if (error.code !== grpc.status.NOT_FOUND) throw error
      return { code: 'NOT_FOUND', details: error.details }
    },
  ),
)

function callGrpcJs(request, path = '/hello.v1.Greeter/SayHello') {
  const client = new grpc.Client(server.url.replace('http://', ''), grpc.credentials.createInsecure())
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (message) => Buffer.from(HelloRequest.encode(HelloRequest.fromObject(message)).finish()),
      (bytes) => HelloReply.toObject(HelloReply.decode(bytes)),
      request,
      { deadline: Date.now() + callTimeoutMs },
      (error, reply) => (error ? reject(error) : resolve(reply)),
    )
  }).finally(() => client.close())
}

await server.close()
const failed = results.filter((result) => !result.ok && result.required)
console.log(failed.length === 0 ? '\nAll required clients succeeded.' : `\n${failed.length} required client(s) failed.`)
process.exit(failed.length === 0 ? 0 : 1)
