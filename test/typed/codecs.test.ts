/**
 * Each family's codec (src/codecs/protobuf-es.ts, ts-proto.ts, static-module.ts) on the greeter's messages: replies
 * as messages or plain objects, JSON names, malformed input classified alike for every family.
 */
import { create, createRegistry, toBinary } from '@bufbuild/protobuf'
import { type CodecName, type MessageCodec, decodeMessage } from '../../src/codec.js'
import { protobufEsCodec } from '../../src/codecs/protobuf-es.js'
import type { RpcMethod } from '../../src/methods.js'
import { buildMethodTable } from '../../src/methods.js'
import { Status } from '../../src/status.js'
import {
  ConformancePayload_RequestInfoSchema,
  UnaryRequestSchema,
  file_service,
} from '../.gen/typed/conformance-es/service_pb.js'
import { HelloReplySchema } from '../.gen/typed/es/hello/v1/greeter_pb.js'
import { hello } from '../.gen/typed/pbjs/greeter.js'
import { type FamilyName, families } from './greeter.js'

const keys: Record<FamilyName, string> = {
  'protobufjs reflection': 'SayHello',
  'protobufjs static': 'SayHello',
  'protobuf-es': 'sayHello',
  'ts-proto': 'sayHello',
}
const familyNames = Object.keys(families) as FamilyName[]

function sayHello(family: FamilyName): RpcMethod {
  const [method] = buildMethodTable(families[family].service, keys[family]).values()
  return method
}
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const text = (value: string) => new TextEncoder().encode(value)

describe.each(familyNames)('the %s codec', (family) => {
  const { requestCodec, responseCodec } = sayHello(family)

  test('malformed input is INTERNAL in binary and INVALID_ARGUMENT in JSON, as for every family', () => {
    const failures: [CodecName, Uint8Array][] = [
      ['proto', Uint8Array.of(0x0a, 0xff)],
      ['json', text('[1]')],
      ['json', text('{"name":')],
      ['json', Uint8Array.of(0x7b, 0xff, 0x7d)],
    ]
    const codes = failures.map(([format, bytes]) => {
      try {
        decodeMessage(requestCodec, bytes, format)
        return 'decoded'
      } catch (error) {
        return (error as { code: number }).code
      }
    })
    expect(codes).toEqual([Status.INTERNAL, Status.INVALID_ARGUMENT, Status.INVALID_ARGUMENT, Status.INVALID_ARGUMENT])
  })

  test('JSON requests take both field spellings and ignore unknown fields', () => {
    for (const key of ['greeting_word', 'greetingWord']) {
      const message = requestCodec.decodeJson(`{"${key}":"hi","unknownField":1}`) as { greetingWord: string }
      expect(message.greetingWord).toBe('hi')
    }
  })

  test('map keys named __proto__ are dropped, in binary and JSON (escaped too), and give no copy a prototype', () => {
    const key = [0x0a, 9, ...text('__proto__')]
    // labels { __proto__: 'x', a: 'b' } (field 5), failures { __proto__: { code: 7 } } (field 6)
    const binary = Uint8Array.of(
      ...[0x2a, 14, ...key, 0x12, 1, 0x78],
      ...[0x2a, 6, 0x0a, 1, 0x61, 0x12, 1, 0x62],
      ...[0x32, 15, ...key, 0x12, 2, 0x08, 0x07],
    )
    const requests = [
      requestCodec.decodeBinary(binary),
      requestCodec.decodeJson('{"labels":{"__proto__":"x","a":"b"},"failures":{"__proto__":{"code":7}}}'),
      requestCodec.decodeJson('{"labels":{"\\u005f_proto__":"x","a":"b"},"failures":{"\\u005f_proto__":{"code":7}}}'),
    ] as { labels: object; failures: object }[]
    const seen = requests.map(({ labels, failures }) => [
      Object.hasOwn(labels, '__proto__'),
      Object.hasOwn(failures, '__proto__'),
      Object.getPrototypeOf(Object.assign({}, labels)) === Object.prototype,
      Object.getPrototypeOf(Object.assign({}, failures)) === Object.prototype,
      { ...labels },
    ])
    expect(seen).toEqual(requests.map(() => [false, false, true, true, { a: 'b' }]))
  })

  test('a plain object with some fields encodes as the message does', () => {
    expect(hex(responseCodec.encodeBinary({ message: 'hi', replyKind: 'k' }))).toBe('0a026869' + '2a016b')
  })
})

test('protobuf-es: a message and its init shape encode alike; protoNames gives the .proto names', () => {
  const codec = protobufEsCodec(HelloReplySchema)
  const message = codec.decodeBinary(Uint8Array.of(0x2a, 0x01, 0x6b))
  expect(hex(codec.encodeBinary(message))).toBe(hex(codec.encodeBinary({ replyKind: 'k' })))
  expect([codec.encodeJson(message, false), codec.encodeJson(message, true)]).toEqual([
    '{"replyKind":"k"}',
    '{"reply_kind":"k"}',
  ])
})

test('protobuf-es: an Any in JSON needs the registry the service was given', () => {
  const any = {
    typeUrl: `type.googleapis.com/${UnaryRequestSchema.typeName}`,
    value: toBinary(UnaryRequestSchema, create(UnaryRequestSchema)),
  }
  const reply = { requests: [any] }
  const json = `{"requests":[{"@type":"type.googleapis.com/${UnaryRequestSchema.typeName}"}]}`
  const withRegistry: MessageCodec = protobufEsCodec(ConformancePayload_RequestInfoSchema, createRegistry(file_service))
  expect(withRegistry.encodeJson(reply, false)).toBe(json)
  expect(() => protobufEsCodec(ConformancePayload_RequestInfoSchema).encodeJson(reply, false)).toThrow(
    /connectrpc.conformance.v1.UnaryRequest/,
  )
})

test('ts-proto: JSON replies keep lowerCamel names even when .proto names are asked for, int64 as a number', () => {
  const { responseCodec } = sayHello('ts-proto')
  expect(responseCodec.encodeJson({ replyKind: 'k', count: 7 }, true)).toBe('{"count":7,"replyKind":"k"}')
})

test("protobufjs static: requests decode to the static class, JSON is the reflection family's", () => {
  const { requestCodec, responseCodec } = sayHello('protobufjs static')
  const reflection = sayHello('protobufjs reflection').responseCodec
  expect(requestCodec.decodeBinary(Uint8Array.of(0x0a, 0x01, 0x78))).toBeInstanceOf(hello.v1.HelloRequest)
  expect(requestCodec.decodeJson('{"name":"x"}')).toBeInstanceOf(hello.v1.HelloRequest)
  const reply = new hello.v1.HelloReply({ replyKind: 'k', count: 7 })
  for (const protoNames of [false, true]) {
    expect(responseCodec.encodeJson(reply, protoNames)).toBe(reflection.encodeJson(reply, protoNames))
  }
  // The reflection family's reply check applies too: an object is no string.
  expect(() => responseCodec.encodeJson({ message: {} }, false)).toThrow(/message/)
  expect(() => responseCodec.encodeBinary({ message: {} })).toThrow(/message/)
})
