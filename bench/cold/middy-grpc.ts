// Cold-start contestant: middy-grpc serving the same .proto as the others (as examples/greeter/handler.js does, without
// its CORS middleware, so that the difference from bare Middy is what this package adds).
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { grpcFraming, grpcRouter } from 'middy-grpc'

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))

export const handler = middy()
  .use(grpcFraming({ service: root.lookupService('hello.v1.Greeter') }))
  .handler(grpcRouter({ SayHello: async (event: any) => ({ message: `Hello, ${event.message.name}` }) }))
