// Calls the greeter from a browser with three real clients: connect-web over gRPC-Web and over Connect (binary
// and JSON), and Google's grpc-web runtime in binary and text modes. Bundle with esbuild (see README.md).
import { createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf'
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt'
import { ConnectError, createClient } from '@connectrpc/connect'
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web'
import { GrpcWebClientBase, MethodDescriptor } from 'grpc-web'

/**
 * Runs every client against `baseUrl`. `descriptorSet` is the binary FileDescriptorSet of greeter.proto (from
 * `buf build -o greeter.binpb`): connect-web needs descriptors, and grpc-web uses the same ones to (de)serialize.
 */
export async function callGreeter(baseUrl, descriptorSet) {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet))
  const Greeter = registry.getService('hello.v1.Greeter')
  const HelloRequest = registry.getMessage('hello.v1.HelloRequest')
  const HelloReply = registry.getMessage('hello.v1.HelloReply')

  const connectClients = {
    'connect-web gRPC-Web': createGrpcWebTransport({ baseUrl }),
    'connect-web Connect proto': createConnectTransport({ baseUrl }),
    'connect-web Connect JSON': createConnectTransport({ baseUrl, useBinaryFormat: false }),
  }
  const results = []
  for (const [client, transport] of Object.entries(connectClients)) {
    const greeter = createClient(Greeter, transport)
    const reply = await greeter.sayHello({ name: client })
    const error = await greeter.fail({ name: client }).catch((e) => ConnectError.from(e))
    results.push({ client, reply: reply.message, errorCode: error.code, errorMessage: error.rawMessage })
  }

  for (const format of ['binary', 'text']) {
    const client = `grpc-web ${format}`
    const grpcWeb = new GrpcWebClientBase({ format })
    const descriptor = (method) =>
      new MethodDescriptor(
        `/hello.v1.Greeter/${method}`,
        'unary',
        Object,
        Object,
        (request) => toBinary(HelloRequest, request),
        (bytes) => fromBinary(HelloReply, bytes),
      )
    const call = (method) =>
      grpcWeb.unaryCall(
        `${baseUrl}/hello.v1.Greeter/${method}`,
        { $typeName: 'hello.v1.HelloRequest', name: client },
        {},
        descriptor(method),
      )
    const reply = await call('SayHello')
    const error = await call('Fail').catch((e) => e)
    results.push({ client, reply: reply.message, errorCode: error.code, errorMessage: error.message })
  }
  return results
}

/** Renders the results as a table, for people and screenshots. */
export function renderResults(results) {
  const rows = results
    .map((r) => `<tr><td>${r.client}</td><td>${r.reply}</td><td>${r.errorCode}</td><td>${r.errorMessage}</td></tr>`)
    .join('')
  document.body.innerHTML = `<h1>middy-grpc greeter</h1><table border="1" cellpadding="6"><tr><th>client</th><th>SayHello</th><th>Fail code</th><th>Fail message</th></tr>${rows}</table>`
}
