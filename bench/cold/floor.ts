// Cold-start contestant: the hand-written gRPC-Web handler, protobufjs loading greeter.proto as the example does.
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { floorHandler } from '../floor.js'

const root = protobuf.loadSync(fileURLToPath(new URL('./greeter.proto', import.meta.url)))
const HelloRequest = root.lookupType('hello.v1.HelloRequest')
const HelloReply = root.lookupType('hello.v1.HelloReply')

export const handler = floorHandler(HelloRequest, HelloReply, (request) => ({ message: `Hello, ${request.name}` }))
