import { Status } from '../../src/index.js'
import { assertWellFormed, createFuzzLambda, httpEvent, lambdaContext, shapes } from '../fuzz/support.js'
import { frame } from '../support/frames.js'

// Every front door sends the body as a string (or none). A hand-made or forwarded event may not: such a body is a
// plain 400 in the event's shape, refused before it is read (`{ length: 1e8 }` must not allocate 100 MB).

const lambda = createFuzzLambda()
const grpcWebHeaders: [string, string][] = [['content-type', 'application/grpc-web+proto']]

const nonStringBodies: [string, unknown][] = [
  ['an array of bytes', [0, 0, 0, 0, 0]],
  ["a Buffer's JSON form", { type: 'Buffer', data: [0, 0, 0, 0, 0] }],
  ['an object claiming a length of 1e8', { length: 1e8 }],
  ['a Uint8Array', new Uint8Array(5)],
  ['a number', 12345],
  ['a boolean', true],
]

describe.each(shapes)('%s event', (shape) => {
  test.each(nonStringBodies)('%s as the body is a plain 400', async (_name, body) => {
    for (const isBase64Encoded of [true, false]) {
      const event = httpEvent(shape, { headers: grpcWebHeaders, body: frame(0, new Uint8Array(0)) })
      event.body = body
      event.isBase64Encoded = isBase64Encoded
      const read = assertWellFormed(await lambda(event, lambdaContext()), shape, 'grpc-web', true)
      expect([read.nonRpc, read.status]).toEqual([true, 400])
    }
  })

  test('a string body, or none, is still an RPC', async () => {
    const event = httpEvent(shape, { headers: grpcWebHeaders, body: frame(0, new Uint8Array(0)) })
    expect(typeof event.body).toBe('string')
    const read = assertWellFormed(await lambda(event, lambdaContext()), shape, 'grpc-web', false)
    expect(read.code).toBe(Status.OK)
    delete event.body
    const empty = assertWellFormed(await lambda(event, lambdaContext()), shape, 'grpc-web', false)
    // No body at all: no message, which a unary call answers UNIMPLEMENTED.
    expect(empty.code).toBe(Status.UNIMPLEMENTED)
  })
})
