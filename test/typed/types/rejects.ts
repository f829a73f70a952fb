/**
 * Each `@ts-expect-error TS<code>` line must stay that error (test/typed/types.test.ts compiles this file with and
 * without the directives): a reply field of the wrong type, a request field that does not exist, a method key the
 * service lacks, a plain reply from a server-streaming method, a wrong single-method handler.
 */
import { type MethodHandler, grpcRouter } from '../../../src/index.js'
import { esGreeter, staticGreeter, tsProtoGreeter } from '../greeter.js'

grpcRouter(esGreeter, {
  // @ts-expect-error TS2322 a reply field of the wrong type
  sayHello: () => ({ message: 42 }),
  // @ts-expect-error TS2322 a server stream must return an AsyncIterable
  sayHellos: async () => ({ message: 'one' }),
  lookup: (event) => ({
    // @ts-expect-error TS2339 a request field the message lacks
    message: event.message.nmae,
  }),
})

grpcRouter(esGreeter, {
  // A client stream's requests are in event.messages; event.message is undefined.
  collectHellos: (event) => ({
    // @ts-expect-error TS18048 event.message of a client stream
    message: event.message.name,
  }),
})

grpcRouter(esGreeter, {
  // @ts-expect-error TS2322 a client stream returns one reply, not a stream
  collectHellos: async function* () {
    yield {}
  },
})

grpcRouter(esGreeter, {
  // @ts-expect-error TS2353 a key that is not a method of the service
  sayGoodbye: () => ({}),
})

grpcRouter(tsProtoGreeter, {
  // @ts-expect-error TS2322 a reply field of the wrong type
  sayHello: () => ({ count: 'many' }),
  lookup: (event) => ({
    // @ts-expect-error TS2339 a request field the message lacks
    message: event.message.title,
  }),
})

grpcRouter(tsProtoGreeter, {
  // @ts-expect-error TS2561 the .proto name where ts-proto's key is expected
  SayHello: () => ({}),
})

grpcRouter(staticGreeter, {
  // @ts-expect-error TS2322 a reply field of the wrong type
  SayHello: () => ({ words: 'not a list' }),
  Lookup: (event) => ({
    // @ts-expect-error TS2551 a request field the message lacks
    message: event.message.nam,
  }),
})

grpcRouter(staticGreeter, {
  // @ts-expect-error TS2561 the local name where the static module's .proto name is expected
  sayHello: () => ({}),
})

// @ts-expect-error TS2322 a single-method handler returning the wrong field type
export const lookup: MethodHandler<typeof tsProtoGreeter, 'lookup'> = async () => ({ message: 1 })
