import middy from '@middy/core'
import fc from 'fast-check'
import { type ErrorLogEntry, Status, grpcFraming, grpcRouter } from '../../src/index.js'
import { callAs, failingLambda, hostileValues, rpcProtocols } from '../hostile/support.js'
import {
  FuzzService,
  Node,
  assertWellFormed,
  createFuzzLambda,
  httpEvent,
  lambdaContext,
  runs,
  shapes,
} from './support.js'
import { frame } from '../support/frames.js'

// Hostile values where the package meets the outside: event bodies that are not strings, values thrown by a handler
// that fight every inspection, and map keys named `__proto__`.

const shape = fc.constantFrom(...shapes)
const protocol = fc.constantFrom(...rpcProtocols)

test('an event body that is not a string is a plain 400, whatever it is', async () => {
  const lambda = createFuzzLambda()
  const body = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }),
    fc.record({ type: fc.constant('Buffer'), data: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }) }),
    fc.record({ length: fc.oneof(fc.nat(), fc.constant(1e8), fc.constant(2 ** 32)) }),
    fc.uint8Array({ maxLength: 64 }),
    fc.object(),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.bigInt()),
  )
  await fc.assert(
    fc.asyncProperty(shape, protocol, body, fc.boolean(), async (s, p, value, isBase64Encoded) => {
      const event = httpEvent(s, { path: p.path, headers: [['content-type', p.contentType]] })
      event.body = value
      event.isBase64Encoded = isBase64Encoded
      const read = assertWellFormed(await lambda(event, lambdaContext()), s, p.family, true)
      expect([read.nonRpc, read.status]).toEqual([true, 400])
    }),
    runs(1500),
  )
})

test('anything thrown, hostile or not: INTERNAL with the fixed message, logged once', async () => {
  const thrown = fc.oneof(
    fc.constantFrom(...hostileValues).map(([, make]) => make),
    fc.anything().map((value) => () => value),
  )
  await fc.assert(
    fc.asyncProperty(protocol, thrown, async (p, make) => {
      const logged: ErrorLogEntry[] = []
      const value = make()
      const seen = await callAs(
        failingLambda(() => {
          throw value
        }, logged),
        p,
      )
      expect([seen.code, seen.message]).toEqual([Status.INTERNAL, 'internal error'])
      // Object.is: a thrown NaN is logged as itself too.
      expect(logged.length === 1 && Object.is(logged[0].cause, value)).toBe(true)
    }),
    runs(1500),
  )
})

test('errors with an HTTP statusCode: the message is sent only when expose === true', async () => {
  const httpError = fc.record({
    statusCode: fc.constantFrom(400, 401, 403, 404, 409, 412, 429, 499, 500, 501, 502, 503, 504, 418),
    message: fc.string({ maxLength: 40 }).map((text) => `m:${text}`),
    expose: fc.oneof(fc.constant(true), fc.constant(false), fc.constant(undefined), fc.anything()),
  })
  await fc.assert(
    fc.asyncProperty(protocol, httpError, async (p, error) => {
      const seen = await callAs(
        failingLambda(() => {
          throw error
        }, []),
        p,
      )
      // The message is prefixed "m:", so it never equals the status name sent instead.
      expect(seen.message === error.message).toBe(error.expose === true)
    }),
    runs(1000),
  )
})

// ---- __proto__ map keys ----

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 8 }),
)

/** A tree of Nodes with labels and named maps whose keys are often hostile, as plain data. */
interface Tree {
  labels: [string, string][]
  named: [string, Tree][]
  children: Tree[]
}
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    labels: fc.array(fc.tuple(hostileKey, fc.string({ maxLength: 4 })), { maxLength: 3 }),
    named: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<[string, Tree][]>([]),
      fc.array(fc.tuple(hostileKey, tie('tree')), { maxLength: 2 }),
    ),
    children: fc.oneof({ depthSize: 'small' }, fc.constant<Tree[]>([]), fc.array(tie('tree'), { maxLength: 2 })),
  }),
})).tree

function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  let length = bytes.length
  const varint: number[] = []
  while (length > 0x7f) {
    varint.push((length & 0x7f) | 0x80)
    length >>>= 7
  }
  varint.push(length)
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint]), bytes])
}

function encodeTree(node: Tree): Buffer {
  const parts: Buffer[] = []
  for (const [key, value] of node.labels)
    parts.push(
      lengthDelimited(
        11,
        Buffer.concat([lengthDelimited(1, Buffer.from(key)), lengthDelimited(2, Buffer.from(value))]),
      ),
    )
  for (const [key, value] of node.named)
    parts.push(
      lengthDelimited(10, Buffer.concat([lengthDelimited(1, Buffer.from(key)), lengthDelimited(2, encodeTree(value))])),
    )
  for (const child of node.children) parts.push(lengthDelimited(8, encodeTree(child)))
  return Buffer.concat(parts)
}

/** JSON text by hand: JSON.stringify would drop `__proto__` keys of the objects it is given. */
function jsonTree(node: Tree): string {
  const entries = (pairs: [string, string][]) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`
  return `{"labels":${entries(node.labels.map(([k, v]) => [k, JSON.stringify(v)]))},"named":${entries(
    node.named.map(([k, v]) => [k, jsonTree(v)]),
  )},"children":[${node.children.map(jsonTree).join(',')}]}`
}

/** Echo answers whether any map it received, at any depth, has a `__proto__` key or a copy that is not plain. */
const inspecting = middy()
  .use(grpcFraming({ service: FuzzService, logger: false }))
  .handler(
    grpcRouter({
      Echo: async ({ message }) => {
        const problems: string[] = []
        const visit = (node: { labels?: object; named?: Record<string, unknown>; children?: unknown[] }) => {
          for (const map of [node.labels ?? {}, node.named ?? {}]) {
            if (Object.hasOwn(map, '__proto__')) problems.push('own __proto__ key')
            if (Object.getPrototypeOf(Object.assign({}, map)) !== Object.prototype) problems.push('copy not plain')
          }
          for (const value of Object.values(node.named ?? {})) visit(value as never)
          for (const child of node.children ?? []) visit(child as never)
        }
        visit(message)
        return { name: problems.join(';') }
      },
    }),
  )

test('map keys named __proto__, binary and JSON, any depth: never an own key, copies stay plain', async () => {
  const encodings = fc.constantFrom(
    { contentType: 'application/grpc-web+proto', json: false },
    { contentType: 'application/grpc-web+json', json: true },
    { contentType: 'application/proto', json: false, bare: true },
    { contentType: 'application/json', json: true, bare: true },
  )
  await fc.assert(
    fc.asyncProperty(encodings, tree, async (encoding, value) => {
      const message = encoding.json ? Buffer.from(jsonTree(value)) : encodeTree(value)
      const event = httpEvent('v2', {
        headers: [['content-type', encoding.contentType]],
        body: 'bare' in encoding ? message : frame(0, message),
      })
      const family = 'bare' in encoding ? 'connect' : 'grpc-web'
      const read = assertWellFormed(await inspecting(event, lambdaContext()), 'v2', family, false)
      expect(read.code).toBe(0)
      const reply = encoding.json ? JSON.parse(read.messages[0].toString()) : Node.decode(read.messages[0]).toJSON()
      expect(reply.name ?? '').toBe('')
      expect(Object.prototype).not.toHaveProperty('polluted')
    }),
    runs(1000),
  )
})
