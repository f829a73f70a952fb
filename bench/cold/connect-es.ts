// Cold-start contestant: connect-es router with the generated-style schema, behind the bench's Lambda adapter.
import { createConnectRouter } from '@connectrpc/connect'
import { connectLambdaHandler } from '../connect-adapter.js'
import { Greeter } from './greeter_pb.js'

export const handler = connectLambdaHandler(
  createConnectRouter().service(Greeter, {
    sayHello: (request: { name: string }) => ({ message: `Hello, ${request.name}` }),
    fail: () => {
      throw new Error('no such user')
    },
  } as any).handlers,
)
