import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { GrpcError, Status, grpcFraming, grpcRouter } from 'middy-grpc'

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))
const Greeter = root.lookupService('hello.v1.Greeter')

export const handler = middy()
  .use(grpcFraming({ service: Greeter }))
  .handler(
    grpcRouter({
      SayHello: async (event) => ({ message: `Hello, ${event.message.name}` }),
      Fail: async () => {
        throw new GrpcError(Status.NOT_FOUND, 'no such user')
      },
    }),
  )
