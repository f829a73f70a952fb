/**
 * Must compile (test/typed/types.test.ts): what each family's handlers see and may return, checked exactly, so that
 * no `any` reaches user code. `Equal` is true only for identical types; `any` equals nothing else.
 */
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import {
  type GrpcEvent,
  type MethodHandler,
  grpcFraming,
  grpcRouter,
  protobufjsStaticService,
} from '../../../src/index.js'
import type {
  HelloReply as EsHelloReply,
  HelloRequest as EsHelloRequest,
} from '../../.gen/typed/es/hello/v1/greeter_pb.js'
import descriptor from '../../.gen/typed/pbjs/greeter.json' with { type: 'json' }
import * as pbjsModule from '../../.gen/typed/pbjs/greeter.js'
import type { hello } from '../../.gen/typed/pbjs/greeter.js'
import type { FailRequest, HelloRequest } from '../../.gen/typed/ts-proto/hello/v1/greeter.js'
import { esGreeter, staticGreeter, tsProtoGreeter } from '../greeter.js'

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false
function assertType<T extends true>(): T | undefined {
  return undefined
}

grpcRouter(esGreeter, {
  sayHello: (event) => {
    assertType<Equal<typeof event.message, EsHelloRequest>>()
    assertType<Equal<typeof event, GrpcEvent<EsHelloRequest, EsHelloReply, 'unary'>>>()
    assertType<Equal<typeof event.message.count, bigint>>()
    return { message: event.message.name, count: 1n }
  },
  // A message of the type is a reply as well as its init shape.
  lookup: async () =>
    ({
      $typeName: 'hello.v1.HelloReply',
      message: '',
      count: 0n,
      blob: new Uint8Array(),
      words: [],
      replyKind: '',
    }) satisfies EsHelloReply,
  sayHellos: async function* (event) {
    yield { message: event.message.name }
  },
  collectHellos: async (event) => {
    assertType<Equal<typeof event.messages, AsyncIterable<EsHelloRequest>>>()
    assertType<Equal<typeof event.message, undefined>>()
    for await (const message of event.messages) return { message: message.name }
    return {}
  },
})

grpcRouter(tsProtoGreeter, {
  sayHello: (event) => {
    assertType<Equal<typeof event.message, HelloRequest>>()
    assertType<Equal<typeof event.message.count, number>>()
    return { message: event.message.name }
  },
  fail: (event) => {
    assertType<Equal<typeof event.message, FailRequest>>()
    return {}
  },
  sayHellos: (event) =>
    (async function* () {
      yield { words: [event.message.greetingWord] }
    })(),
})

grpcRouter(staticGreeter, {
  SayHello: (event) => {
    assertType<Equal<typeof event.message, hello.v1.HelloRequest>>()
    return { message: event.message.name }
  },
  Fail: (event) => {
    assertType<Equal<typeof event.message, hello.v1.FailRequest>>()
    return new Promise<hello.v1.HelloReply>(() => undefined)
  },
})

// A single-method function: the event is typed from `method`; the handler's return is checked when it is typed with
// MethodHandler (Middy's .handler() does not take its result type from middlewares).
const sayHello: MethodHandler<typeof esGreeter, 'sayHello'> = async (event, _context: Context) => ({
  message: event.message.name,
})
middy()
  .use(grpcFraming({ service: esGreeter, method: 'sayHello' }))
  .handler(sayHello)
middy()
  .use(grpcFraming({ service: tsProtoGreeter, method: 'lookup' }))
  .handler(async (event) => {
    assertType<Equal<typeof event.message, HelloRequest>>()
    return { message: event.message.name }
  })

// The README's way for a static module: the pbjs JSON descriptor imported as JSON.
grpcRouter(protobufjsStaticService(pbjsModule, descriptor, 'hello.v1.Greeter'), {
  Lookup: (event) => {
    assertType<Equal<typeof event.message, hello.v1.HelloRequest>>()
    return { message: event.message.name }
  },
})
