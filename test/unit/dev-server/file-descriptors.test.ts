import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fromBinary, toJson } from '@bufbuild/protobuf'
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt'
import protobuf from 'protobufjs'
import { toJsonName } from '../../../src/dev-server/file-builder.js'
import { describeRoot, describeServices } from '../../../src/dev-server/file-descriptors.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const buf = join(root, 'node_modules', '.bin', 'buf')

const shop = `syntax = "proto3";

package shop.v1;

import "google/protobuf/timestamp.proto";
import "common/money.proto";

service Orders {
  rpc Get(GetOrderRequest) returns (Order) {
    option idempotency_level = NO_SIDE_EFFECTS;
  }
  rpc Watch(GetOrderRequest) returns (stream Order);
  rpc Upload(stream Order) returns (common.Money) {
    option deprecated = true;
  }
}

message GetOrderRequest {
  string order_id = 1;
  optional bool with_items = 2;
}

message Order {
  message Item {
    string sku = 1;
    common.Money price = 2;
  }
  enum State {
    STATE_UNSPECIFIED = 0;
    STATE_OPEN = 1;
    STATE_CLOSED = 2;
  }
  reserved 20 to 25, 30;
  reserved "legacy";
  string id = 1;
  repeated Item items = 2;
  State state = 3;
  google.protobuf.Timestamp created_at = 4;
  map<string, int64> counters_by_name = 5;
  oneof payment {
    string card = 6;
    bytes voucher = 7;
  }
  repeated int32 tags = 8 [packed = false];
  optional string note_text = 9;
  sint64 delta = 10 [deprecated = true];
  Kind kind = 11;
}

enum Kind {
  option allow_alias = true;
  KIND_UNSPECIFIED = 0;
  KIND_DEFAULT = 0;
  KIND_BIG = -1;
}
`

const money = `syntax = "proto3";

package common;

message Money {
  string currency_code = 1;
  int64 units = 2;
  fixed32 nanos = 3;
  repeated double rates = 4;
}
`

/** The FileDescriptorProtos of a FileDescriptorSet, byte for byte as the set carries them, by file name. */
function splitDescriptorSet(bytes: Uint8Array): Map<string, Uint8Array> {
  const reader = protobuf.Reader.create(bytes)
  const files = new Map<string, Uint8Array>()
  while (reader.pos < reader.len) {
    expect(reader.uint32()).toBe((1 << 3) | 2)
    const file = reader.bytes()
    files.set(fromBinary(FileDescriptorProtoSchema, file).name, file)
  }
  return files
}

/** buf adds its own FileDescriptorProto extension (field 8042, buf's syntax bookkeeping) that protoc does not. */
const bufExtensionField = 8042

function withoutField(bytes: Uint8Array, field: number): Uint8Array {
  const reader = protobuf.Reader.create(bytes)
  const kept: Uint8Array[] = []
  while (reader.pos < reader.len) {
    const start = reader.pos
    const tag = reader.uint32()
    reader.skipType(tag & 7)
    if (tag >>> 3 !== field) kept.push(bytes.subarray(start, reader.pos))
  }
  return Buffer.concat(kept)
}

const readable = (bytes: Uint8Array): unknown =>
  toJson(FileDescriptorProtoSchema, fromBinary(FileDescriptorProtoSchema, bytes))

describe('describeRoot', () => {
  let dir: string
  let fromBuf: Map<string, Uint8Array>
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'middy-grpc-descriptors-'))
    mkdirSync(join(dir, 'common'))
    writeFileSync(join(dir, 'shop.proto'), shop)
    writeFileSync(join(dir, 'common', 'money.proto'), money)
    fromBuf = splitDescriptorSet(execFileSync(buf, ['build', dir, '--exclude-source-info', '-o', '-']))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('encodes each file of a keepCase root byte for byte as buf build does (less its own extension)', () => {
    const loaded = new protobuf.Root().loadSync(join(dir, 'shop.proto'), { keepCase: true })
    const files = new Map(describeRoot(loaded).map((file) => [file.name, file]))
    expect([...files.keys()].sort()).toEqual(['common/money.proto', 'google/protobuf/timestamp.proto', 'shop.proto'])
    for (const name of ['shop.proto', 'common/money.proto']) {
      const expected = withoutField(fromBuf.get(name) as Uint8Array, bufExtensionField)
      const actual = files.get(name)?.proto as Uint8Array
      expect(readable(actual)).toEqual(readable(expected))
      expect(Buffer.from(actual).toString('hex')).toBe(Buffer.from(expected).toString('hex'))
    }
  })

  test('lists dependencies and declared symbols', () => {
    const loaded = new protobuf.Root().loadSync(join(dir, 'shop.proto'), { keepCase: true })
    const files = new Map(describeRoot(loaded).map((file) => [file.name, file]))
    expect(files.get('shop.proto')?.dependencies).toEqual(['google/protobuf/timestamp.proto', 'common/money.proto'])
    expect(files.get('common/money.proto')?.dependencies).toEqual([])
    expect(files.get('shop.proto')?.symbols).toEqual(
      expect.arrayContaining([
        'shop.v1.Orders',
        'shop.v1.Orders.Get',
        'shop.v1.Order',
        'shop.v1.Order.Item',
        'shop.v1.Order.State',
        'shop.v1.Order.STATE_OPEN',
        'shop.v1.Order.created_at',
        'shop.v1.Kind',
        'shop.v1.KIND_BIG',
      ]),
    )
    expect(files.get('common/money.proto')?.symbols).toEqual([
      'common.Money',
      'common.Money.currency_code',
      'common.Money.units',
      'common.Money.nanos',
      'common.Money.rates',
    ])
  })

  test("describes protobufjs's bundled well-known types under their own file names", () => {
    const loaded = protobuf.loadSync(join(dir, 'shop.proto'))
    const timestamp = describeRoot(loaded).find((file) => file.name === 'google/protobuf/timestamp.proto')
    const decoded = fromBinary(FileDescriptorProtoSchema, timestamp?.proto as Uint8Array)
    expect([decoded.package, decoded.syntax, decoded.messageType.map((type) => type.name)]).toEqual([
      'google.protobuf',
      'proto3',
      ['Timestamp'],
    ])
    expect(decoded.messageType[0].field.map((field) => [field.name, field.number, field.type])).toEqual([
      ['seconds', 1, 3],
      ['nanos', 2, 5],
    ])
  })

  test('a root loaded without keepCase carries lowerCamel field names, their own JSON names', () => {
    const loaded = protobuf.loadSync(join(dir, 'shop.proto'))
    const shopFile = describeRoot(loaded).find((file) => file.name === 'shop.proto')
    const order = fromBinary(FileDescriptorProtoSchema, shopFile?.proto as Uint8Array).messageType[1]
    expect(order.field.find((field) => field.number === 4)).toMatchObject({ name: 'createdAt', jsonName: 'createdAt' })
    expect(order.nestedType.map((type) => type.name)).toEqual(['Item', 'CountersByNameEntry'])
  })
})

describe('describeServices', () => {
  test('names every service; files only for protobufjs reflection services, each file once', () => {
    const json = {
      nested: {
        a: { nested: { Svc: { methods: { Do: { requestType: 'M', responseType: 'M' } } }, M: { fields: {} } } },
      },
    }
    const first = protobuf.Root.fromJSON(json as protobuf.INamespace)
    const second = protobuf.Root.fromJSON(json as protobuf.INamespace)
    const M = first.lookupType('a.M')
    const described = describeServices([
      first.lookupService('a.Svc'),
      second.lookupService('a.Svc'),
      { methods: { '/b.Static/Call': { requestType: M, responseType: M } } },
      { typeName: 'c.Typed', rpcMethods: new Map() },
    ])
    expect(described.serviceNames).toEqual(['a.Svc', 'b.Static', 'c.Typed'])
    expect(described.files.map((file) => [file.name, file.symbols])).toEqual([
      ['a.proto', ['a.M', 'a.Svc', 'a.Svc.Do']],
    ])
  })
})

test('toJsonName follows protoc', () => {
  expect(['order_id', 'created_at', 'x__y', 'trailing_', 'already'].map(toJsonName)).toEqual([
    'orderId',
    'createdAt',
    'xY',
    'trailing',
    'already',
  ])
})
