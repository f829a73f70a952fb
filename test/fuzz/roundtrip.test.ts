import { gunzipSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import type protobuf from 'protobufjs'
import type { EventShape } from '../../src/event/shape.js'
import {
  Node,
  assertWellFormed,
  createFuzzLambda,
  httpEvent,
  lambdaContext,
  runs,
  shapes,
  type Family,
} from './support.js'
import { frame } from '../support/frames.js'

// A round trip of any valid message through every protocol, codec and front door is the identity.

const lambda = createFuzzLambda()
// Everything compressed both ways, whatever its size.
const compressingLambda = createFuzzLambda({ compressMinBytes: 0 })

const toObjectOptions = { longs: String, enums: String, bytes: String }
const jsonOptions = { ...toObjectOptions, json: true }

const text = fc.string({ unit: 'grapheme', maxLength: 12 })
// "__proto__" is left out of map keys: protobufjs stores maps in plain objects, where that key sets the prototype.
const mapKey = text.filter((key) => key !== '__proto__')
// JSON.stringify writes -0 as 0: the client side of the JSON codec cannot carry it.
const double = fc.double().map((d) => (Object.is(d, -0) ? 0 : d))

const { node } = fc.letrec((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'node' },
    fc.record({ name: text }, { requiredKeys: [] }),
    fc
      .record(
        {
          name: text,
          data: fc.uint8Array({ maxLength: 24 }),
          big: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
          small: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          real: double,
          flag: fc.boolean(),
          kind: fc.constantFrom('KIND_UNSPECIFIED', 'KIND_A', 'KIND_B'),
          children: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'node' }),
          child: tie('node'),
          named: fc.dictionary(mapKey, tie('node'), { maxKeys: 2, depthIdentifier: 'node' }),
          labels: fc.dictionary(mapKey, text, { maxKeys: 3 }),
          numbers: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 5 }),
          text: text,
          count: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
        },
        { requiredKeys: [] },
      )
      .map((object) => {
        // A oneof holds one member.
        if (object.text !== undefined) delete object.count
        return object
      }),
  ),
}))

const message = node.map((object) => Node.fromObject(object as Record<string, unknown>))
const normal = (value: protobuf.Message) => Node.toObject(value, toObjectOptions)

interface Transport {
  family: Family
  contentType: string
  json: boolean
  compressed?: boolean
  get?: boolean
}

const transports: Transport[] = [
  { family: 'grpc-web', contentType: 'application/grpc-web+proto', json: false },
  { family: 'grpc-web', contentType: 'application/grpc-web+proto', json: false, compressed: true },
  { family: 'grpc-web', contentType: 'application/grpc-web+json', json: true },
  { family: 'grpc-web-text', contentType: 'application/grpc-web-text', json: false },
  { family: 'grpc-web-text', contentType: 'application/grpc-web-text+json', json: true },
  { family: 'grpc', contentType: 'application/grpc', json: false },
  { family: 'grpc', contentType: 'application/grpc+json', json: true, compressed: true },
  { family: 'connect', contentType: 'application/proto', json: false },
  { family: 'connect', contentType: 'application/proto', json: false, compressed: true },
  { family: 'connect', contentType: 'application/json', json: true },
  { family: 'connect', contentType: 'application/proto', json: false, get: true },
  { family: 'connect', contentType: 'application/json', json: true, get: true },
  { family: 'twirp', contentType: 'application/protobuf', json: false },
  { family: 'twirp', contentType: 'application/json', json: true },
]

function encode(value: protobuf.Message, json: boolean): Uint8Array {
  return json ? Buffer.from(JSON.stringify(Node.toObject(value, jsonOptions))) : Node.encode(value).finish()
}

function decode(bytes: Uint8Array, json: boolean): protobuf.Message {
  return json ? Node.fromObject(JSON.parse(Buffer.from(bytes).toString('utf8'))) : Node.decode(bytes)
}

async function call(shape: EventShape, t: Transport, value: protobuf.Message, path = '/fuzz.v1.FuzzService/Echo') {
  const bytes = encode(value, t.json)
  const headers: [string, string][] = [['content-type', t.contentType]]
  let body: Uint8Array = bytes
  let query: string | undefined
  let method = 'POST'
  if (t.get) {
    method = 'GET'
    path = '/fuzz.v1.FuzzService/Lookup'
    headers.length = 0
    query = t.json
      ? `connect=v1&encoding=json&message=${encodeURIComponent(Buffer.from(bytes).toString('utf8'))}`
      : `connect=v1&encoding=proto&base64=1&message=${Buffer.from(bytes).toString('base64url')}`
    body = new Uint8Array(0)
  } else if (t.family === 'connect' || t.family === 'twirp') {
    if (t.compressed) {
      body = gzipSync(bytes)
      headers.push(['content-encoding', 'gzip'], ['accept-encoding', 'gzip'])
    }
    if (t.family === 'twirp') path = `/twirp${path}`
  } else {
    body = t.compressed ? frame(1, gzipSync(bytes)) : frame(0, bytes)
    if (t.compressed) headers.push(['grpc-encoding', 'gzip'], ['grpc-accept-encoding', 'gzip'])
    if (t.family === 'grpc-web-text') body = Buffer.from(Buffer.from(body).toString('base64'))
  }
  const event = httpEvent(shape, { method, path, query, headers, body })
  const result = await (t.compressed ? compressingLambda : lambda)(event, lambdaContext())
  const read = assertWellFormed(result, shape, t.family, false)
  expect(read.code).toBe(0)
  return read
}

test('any valid message round-trips unchanged through every protocol, codec, compression and front door', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...shapes), fc.constantFrom(...transports), message, async (shape, t, value) => {
      const read = await call(shape, t, value)
      const framed = t.family !== 'connect' && t.family !== 'twirp'
      // A reply is compressed exactly when the request was (and asked for it): only those go to compressingLambda.
      expect(read.messages).toHaveLength(1)
      expect(read.headers[framed ? 'grpc-encoding' : 'content-encoding']).toBe(t.compressed ? 'gzip' : undefined)
      const bytes = t.compressed ? gunzipSync(read.messages[0]) : read.messages[0]
      expect(normal(decode(bytes, t.json))).toEqual(normal(value))
    }),
    runs(2500, 15_000),
  )
})

test('a server stream of any valid messages round-trips through Connect streaming, gRPC-Web and gRPC', async () => {
  const streaming = transports.filter((t) => t.family !== 'connect' && t.family !== 'twirp' && !t.compressed)
  streaming.push({ family: 'connect-stream', contentType: 'application/connect+proto', json: false })
  streaming.push({ family: 'connect-stream', contentType: 'application/connect+json', json: true })
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...shapes),
      fc.constantFrom(...streaming),
      fc.array(message, { maxLength: 4 }),
      async (shape, t, children) => {
        const request = Node.fromObject({ children: children.map((child) => Node.toObject(child, toObjectOptions)) })
        const read = await call(shape, t, request, '/fuzz.v1.FuzzService/Stream')
        expect(read.messages.map((bytes) => normal(decode(bytes, t.json)))).toEqual(children.map(normal))
      },
    ),
    runs(1500, 10_000),
  )
})
