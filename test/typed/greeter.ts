/**
 * The same greeter (test/typed/proto/hello/v1/greeter.proto) served by each family of generated code, with the
 * handlers a user of that family would write. Every family answers alike: SayHello and Lookup reply with a greeting,
 * the count plus one and the blob back; SayHellos streams three replies; CollectHellos greets every name it is sent,
 * with the sum of the counts; Fail throws the requested error.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import {
  GrpcError,
  type StatusCode,
  grpcFraming,
  grpcRouter,
  protobufjsStaticService,
  tsProtoService,
} from '../../src/index.js'
import { protobufEsService } from '../../src/services/protobuf-es.js'
import { Greeter as EsGreeter } from '../.gen/typed/es/hello/v1/greeter_pb.js'
import * as pbjsModule from '../.gen/typed/pbjs/greeter.js'
import { GreeterDefinition } from '../.gen/typed/ts-proto/hello/v1/greeter.js'

const here = dirname(fileURLToPath(import.meta.url))
export const greeterProto = join(here, 'proto', 'hello', 'v1', 'greeter.proto')

export const greeting = (name: string) => `Hello, ${name}`
const words = ['typed', 'greeter']
const failure = (code: number, message: string) => new GrpcError(code as StatusCode, message)

// protobuf-es: local names, init shapes, int64 as bigint.
export const esGreeter = protobufEsService(EsGreeter)
export const esHandler = grpcRouter(esGreeter, {
  sayHello: async ({ message }) => ({
    message: greeting(message.name),
    count: message.count + 1n,
    blob: message.blob,
    words,
  }),
  lookup: ({ message }) => ({ message: greeting(message.name), count: message.count + 1n, blob: message.blob, words }),
  collectHellos: async ({ messages }) => {
    const names: string[] = []
    let count = 0n
    for await (const message of messages) {
      names.push(message.name)
      count += message.count
    }
    return { message: greeting(names.join(' and ')), count }
  },
  sayHellos: async function* ({ message }) {
    for (let i = 0n; i < 3n; i++) yield { message: greeting(message.name), count: message.count + i }
  },
  fail: ({ message }) => {
    throw failure(message.code, message.message)
  },
})

// ts-proto: local names, partial replies, int64 as number (forceLong=number).
export const tsProtoGreeter = tsProtoService(GreeterDefinition)
export const tsProtoHandler = grpcRouter(tsProtoGreeter, {
  sayHello: async ({ message }) => ({
    message: greeting(message.name),
    count: message.count + 1,
    blob: message.blob,
    words,
  }),
  lookup: ({ message }) => ({ message: greeting(message.name), count: message.count + 1, blob: message.blob, words }),
  collectHellos: async ({ messages }) => {
    const names: string[] = []
    let count = 0
    for await (const message of messages) {
      names.push(message.name)
      count += message.count
    }
    return { message: greeting(names.join(' and ')), count }
  },
  sayHellos: async function* ({ message }) {
    for (let i = 0; i < 3; i++) yield { message: greeting(message.name), count: message.count + i }
  },
  fail: ({ message }) => {
    throw failure(message.code, message.message)
  },
})

// protobufjs static module: .proto names, I-interface replies, int64 as number | Long.
const toNumber = (value: number | protobuf.Long) => protobuf.util.LongBits.from(value).toNumber()
const pbjsDescriptor = JSON.parse(readFileSync(join(here, '..', '.gen', 'typed', 'pbjs', 'greeter.json'), 'utf8'))
export const staticGreeter = protobufjsStaticService(pbjsModule, pbjsDescriptor, 'hello.v1.Greeter')
export const staticHandler = grpcRouter(staticGreeter, {
  SayHello: async ({ message }) => ({
    message: greeting(message.name),
    count: toNumber(message.count) + 1,
    blob: message.blob,
    words,
  }),
  Lookup: ({ message }) => ({
    message: greeting(message.name),
    count: toNumber(message.count) + 1,
    blob: message.blob,
    words,
  }),
  CollectHellos: async ({ messages }) => {
    const names: string[] = []
    let count = 0
    for await (const message of messages) {
      names.push(message.name)
      count += toNumber(message.count)
    }
    return { message: greeting(names.join(' and ')), count }
  },
  SayHellos: async function* ({ message }) {
    for (let i = 0; i < 3; i++) yield { message: greeting(message.name), count: toNumber(message.count) + i }
  },
  Fail: ({ message }) => {
    throw failure(message.code, message.message)
  },
})

// protobufjs reflection: untyped, .proto names.
export const reflectionGreeter = protobuf.loadSync(greeterProto).lookupService('hello.v1.Greeter')
export const reflectionHandler = grpcRouter(reflectionGreeter, {
  SayHello: async ({ message }) => ({
    message: greeting(message.name),
    count: toNumber(message.count) + 1,
    blob: message.blob,
    words,
  }),
  Lookup: ({ message }) => ({
    message: greeting(message.name),
    count: toNumber(message.count) + 1,
    blob: message.blob,
    words,
  }),
  CollectHellos: async ({ messages }) => {
    const names: string[] = []
    let count = 0
    for await (const message of messages) {
      names.push(message.name)
      count += toNumber(message.count)
    }
    return { message: greeting(names.join(' and ')), count }
  },
  SayHellos: async function* ({ message }) {
    for (let i = 0; i < 3; i++) yield { message: greeting(message.name), count: toNumber(message.count) + i }
  },
  Fail: ({ message }) => {
    throw failure(message.code, message.message)
  },
})

export const families = {
  'protobufjs reflection': { service: reflectionGreeter, handler: reflectionHandler },
  'protobufjs static': { service: staticGreeter, handler: staticHandler },
  'protobuf-es': { service: esGreeter, handler: esHandler },
  'ts-proto': { service: tsProtoGreeter, handler: tsProtoHandler },
} as const

export type FamilyName = keyof typeof families

/** The greeter Lambda of one family. */
export function createGreeterLambda(family: FamilyName) {
  const { service, handler } = families[family]
  return middy()
    .use(grpcFraming({ service, logger: false }))
    .handler(handler)
}
