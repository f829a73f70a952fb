// Cold-start contestant: bare Middy around the floor handler.
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { floorHandler } from '../floor.js'

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))
const HelloRequest = root.lookupType('hello.v1.HelloRequest')
const HelloReply = root.lookupType('hello.v1.HelloReply')

export const handler = middy().handler(
  floorHandler(HelloRequest, HelloReply, (request) => ({ message: `Hello, ${request.name}` })),
)
