import { type ErrorLogEntry, Status } from '../../src/index.js'
import { Node } from '../fuzz/support.js'
import { callAs, failingLambda, rpcProtocols } from './support.js'

// A reply that cannot be encoded without loss is the handler's bug: the client gets INTERNAL with a fixed message,
// and the logger gets why, on every protocol, binary and JSON.

function circular(): object {
  const reply: Record<string, unknown> = { name: 'x' }
  reply.child = reply
  return reply
}

const badReplies: [string, () => unknown, RegExp][] = [
  ['an object in a string field', () => ({ name: {} }), /fuzz\.v1\.Node\.name: an object is not a string/],
  ['a non-numeric string in an int64', () => ({ big: 'abc' }), /fuzz\.v1\.Node\.big: a string is not a 64-bit/],
  ["'false' in a bool", () => ({ flag: 'false' }), /fuzz\.v1\.Node\.flag: a string is not a boolean/],
  [
    'a throwing getter',
    () => ({
      get name(): string {
        throw new Error('getter failed')
      },
    }),
    /getter failed/,
  ],
  ['a circular object', circular, /call stack|circular/i],
  ['null', () => null, /handler returned null, not a message/],
]

const jsonProtocols = [
  { family: 'connect', contentType: 'application/json', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'grpc-web', contentType: 'application/grpc-web+json', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'twirp', contentType: 'application/json', path: '/twirp/fuzz.v1.FuzzService/Echo' },
] as const

describe.each([...rpcProtocols, ...jsonProtocols])('$family $contentType', (protocol) => {
  const body = protocol.contentType.endsWith('json') ? Buffer.from('{}') : undefined
  test.each(badReplies)('%s: INTERNAL, fixed message, the cause logged', async (_name, reply, cause) => {
    const logged: ErrorLogEntry[] = []
    // Echo returns the reply; Stream yields one good message, then the reply.
    const seen = await callAs(failingLambda(reply, logged), protocol, 'v2', body)
    const message = reply() === null ? 'handler returned null, not a message' : 'failed to encode response message'
    expect([seen.code, seen.message]).toEqual([Status.INTERNAL, message])
    expect(logged).toHaveLength(1)
    expect(logged[0].error.code).toBe(Status.INTERNAL)
    expect(String((logged[0].cause as Error)?.message ?? logged[0].cause)).toMatch(cause)
  })

  test('what proto3 JSON accepts still encodes: an int64 as a numeric string, a double as "NaN"', async () => {
    const seen = await callAs(
      failingLambda(() => ({ big: '9007199254740993', real: 'NaN', kind: 'KIND_B' }), []),
      protocol,
      'v2',
      body,
    )
    expect(seen.code).toBe(Status.OK)
    const reply = seen.read.messages.at(-1) ?? Buffer.alloc(0)
    const decoded = protocol.contentType.endsWith('json') ? JSON.parse(reply.toString()) : Node.decode(reply).toJSON()
    expect(decoded).toMatchObject({ big: '9007199254740993', real: 'NaN', kind: 'KIND_B' })
  })
})
