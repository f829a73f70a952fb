import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import protobuf from 'protobufjs'
import { GrpcError, Status, corsAllowedHeaders, corsExposedHeaders, grpcFraming, grpcRouter } from 'middy-grpc'

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))
const Greeter = root.lookupService('hello.v1.Greeter')

// Middy's early timeout with the same margin as grpcFraming's timeoutEarlyInMillis (50 ms): room to answer in time.
export const handler = middy({ timeoutEarlyInMillis: 50 })
  // Registered first so that its after/onError hooks run last and decorate every response, preflights included.
  .use(
    httpCors({
      origin: '*',
      methods: 'GET, POST, OPTIONS',
      headers: corsAllowedHeaders.join(', '),
      exposeHeaders: corsExposedHeaders.join(', '),
      maxAge: 7200,
    }),
  )
  .use(grpcFraming({ service: Greeter }))
  .handler(
    grpcRouter({
      SayHello: async (event) => ({ message: `Hello, ${event.message.name}` }),
      Fail: async () => {
        throw new GrpcError(Status.NOT_FOUND, 'no such user')
      },
    }),
  )
