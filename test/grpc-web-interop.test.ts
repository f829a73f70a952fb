import { create } from '@bufbuild/protobuf'
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect'
import { createGrpcWebTransport } from '@connectrpc/connect-node'
import type { DescService } from '@bufbuild/protobuf'
import { loadClientRegistry } from './support/client-schema.js'
import { startGateway, type Gateway } from './support/gateway.js'
import { createTestLambda } from './support/test-service.js'
import type { EventShape } from '../src/event.js'

const registry = loadClientRegistry('test/proto')
const serviceDesc = registry.getService('test.v1.TestService') as DescService
const shapes: EventShape[] = ['v1', 'v2', 'alb', 'alb-multi', 'url']

describe.each(shapes)('connect-node gRPC-Web client through a %s event', (shape) => {
  let gateway: Gateway
  let client: Client<DescService>

  beforeAll(async () => {
    gateway = await startGateway(createTestLambda(), shape)
    client = createClient(serviceDesc, createGrpcWebTransport({ baseUrl: gateway.baseUrl, httpVersion: '1.1' })) as never
  })
  afterAll(() => gateway.close())

  test('round-trips a unary call', async () => {
    const reply = await (client as any).echo({ text: 'héllo ☺', payload: new Uint8Array([0, 1, 255]) })
    expect(reply.text).toBe('héllo ☺')
    expect(reply.payload).toEqual(new Uint8Array([0, 1, 255]))
    expect(reply.protocol).toBe('grpc-web')
  })

  test('carries an error status and message', async () => {
    const call = (client as any).fail({ code: 5, message: 'no such user' })
    await expect(call).rejects.toMatchObject({ code: Code.NotFound, rawMessage: 'no such user' })
  })
  void create
  void ConnectError
})
