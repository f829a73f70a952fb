import middy from '@middy/core'
import { grpcFraming, grpcRouter } from '../../src/index.js'
import { FuzzService, Node, assertWellFormed, httpEvent, lambdaContext } from '../fuzz/support.js'
import { frame } from '../support/frames.js'

// A map key `__proto__` never reaches the handler, binary or JSON, at any depth: copying a map it received
// (Object.assign, spread) must not give the copy an attacker-chosen prototype.

interface Seen {
  keys: Record<string, string[]>
  copiesArePlain: boolean
}

/** Echo answers, in `name`, the keys of every map it received and whether copies of them are plain objects. */
const lambda = middy()
  .use(grpcFraming({ service: FuzzService, logger: false }))
  .handler(
    grpcRouter({
      Echo: async ({ message }) => {
        const maps: Record<string, object> = {
          labels: message.labels,
          named: message.named,
          childLabels: message.child?.labels ?? {},
          deepLabels: message.named?.safe?.children?.[0]?.labels ?? {},
        }
        const seen: Seen = { keys: {}, copiesArePlain: true }
        for (const [where, map] of Object.entries(maps)) {
          seen.keys[where] = Object.getOwnPropertyNames(map).sort()
          const copy = Object.assign({}, map)
          const spread = { ...map }
          if (Object.getPrototypeOf(copy) !== Object.prototype || Object.getPrototypeOf(spread) !== Object.prototype)
            seen.copiesArePlain = false
          if ((copy as { polluted?: unknown }).polluted !== undefined) seen.copiesArePlain = false
        }
        return { name: JSON.stringify(seen) }
      },
    }),
  )

const expected: Seen = {
  keys: { labels: ['ok'], named: ['safe'], childLabels: ['ok'], deepLabels: ['ok'] },
  copiesArePlain: true,
}

/** A map entry: field 1 the key, field 2 the value (already encoded as the value's wire form). */
function mapEntry(field: number, key: string, value: Uint8Array): Uint8Array {
  const entry = Buffer.concat([Buffer.from([0x0a, key.length]), Buffer.from(key), value])
  return Buffer.concat([Buffer.from([(field << 3) | 2, entry.length]), entry])
}
const stringValue = (text: string) => Buffer.concat([Buffer.from([0x12, text.length]), Buffer.from(text)])
const messageValue = (bytes: Uint8Array) => Buffer.concat([Buffer.from([0x12, bytes.length]), bytes])

const pollutingNode = Node.encode(Node.fromObject({ name: 'polluted' })).finish()
/** Labels `__proto__` and `ok`. */
const labels = (extra: Uint8Array = new Uint8Array(0)) =>
  Buffer.concat([mapEntry(11, '__proto__', stringValue('polluted')), mapEntry(11, 'ok', stringValue('1')), extra])

const binaryMessage = Buffer.concat([
  labels(),
  mapEntry(10, '__proto__', messageValue(pollutingNode)),
  // named.safe.children[0].labels, and child.labels, each with a __proto__ key
  mapEntry(10, 'safe', messageValue(Buffer.concat([Buffer.from([0x42, labels().length]), labels()]))),
  Buffer.concat([Buffer.from([0x4a, labels().length]), labels()]),
])

const jsonMessage = JSON.stringify({
  labels: { ok: '1' },
  named: { safe: { children: [{ labels: { ok: '1' } }] } },
  child: { labels: { ok: '1' } },
})
  // JSON.stringify drops __proto__ keys of object literals: put them into the text.
  .replaceAll('{"ok":"1"}', '{"__proto__":"polluted","ok":"1"}')
  .replace('"named":{', '"named":{"__proto__":{"name":"polluted"},')

const requests: [string, string, Uint8Array, boolean][] = [
  ['gRPC-Web binary', 'application/grpc-web+proto', binaryMessage, true],
  ['gRPC binary', 'application/grpc', binaryMessage, true],
  ['Connect binary', 'application/proto', binaryMessage, false],
  ['gRPC-Web JSON', 'application/grpc-web+json', Buffer.from(jsonMessage), true],
  ['Connect JSON', 'application/json', Buffer.from(jsonMessage), false],
]

afterEach(() => {
  expect(Object.prototype).not.toHaveProperty('polluted')
})

test('the hostile JSON text does carry __proto__ keys', () => {
  expect(jsonMessage.match(/"__proto__"/g)).toHaveLength(4)
})

test.each(requests)(
  '%s: no __proto__ key in any map, copies are plain objects',
  async (_name, contentType, body, framed) => {
    const event = httpEvent('v2', { headers: [['content-type', contentType]], body: framed ? frame(0, body) : body })
    const family = contentType.startsWith('application/grpc-web')
      ? 'grpc-web'
      : contentType.startsWith('application/grpc')
        ? 'grpc'
        : 'connect'
    const read = assertWellFormed(await lambda(event, lambdaContext()), 'v2', family, false)
    expect(read.code).toBe(0)
    const reply = contentType.endsWith('json') ? JSON.parse(read.messages[0].toString()) : Node.decode(read.messages[0])
    expect(JSON.parse(reply.name)).toEqual(expected)
  },
)
