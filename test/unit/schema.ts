import protobuf from 'protobufjs'

/** A small schema for byte-exact unit tests: field 1 a string, field 2 an int32, field 3 a nested Item; methods of each kind. */
export const unitRoot = protobuf.parse(`
  syntax = "proto3";
  package unit.v1;
  message Item { string name = 1; int32 count = 2; Item child = 3; }
  service Items {
    rpc Get(Item) returns (Item);
    rpc List(Item) returns (stream Item);
    rpc Upload(stream Item) returns (Item);
    rpc Peek(Item) returns (Item) { option idempotency_level = NO_SIDE_EFFECTS; }
    rpc Chat(stream Item) returns (stream Item);
  }
`).root
export const Item = unitRoot.lookupType('unit.v1.Item')
export const Items = unitRoot.lookupService('unit.v1.Items')

/** `{ name: 'ab', count: 3 }`: field 1 (0x0a) length 2 "ab", field 2 (0x10) varint 3. */
export const itemBytes = [0x0a, 0x02, 0x61, 0x62, 0x10, 0x03]
