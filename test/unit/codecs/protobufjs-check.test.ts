import { replyCheck } from '../../../src/codecs/protobufjs-check.js'
import { Node } from '../../fuzz/support.js'

// fuzz.v1.Node: name string, data bytes, big int64, small sint32, real double, flag bool, kind Kind, children
// repeated Node, child Node, named map<string, Node>, labels map<string, string>, numbers repeated uint32.
const check = replyCheck(Node)

describe('replyCheck', () => {
  test.each([
    ['the JSON types of every field', { name: 'a', data: new Uint8Array(1), big: 1, small: -1, real: 0.5, flag: true }],
    ['an int64 as a numeric string, a bigint, a Long-shaped object', { big: '-9007199254740993' }],
    ['an int64 as a bigint or a Long', { big: 9007199254740993n, children: [{ big: { low: 1, high: 2 } }] }],
    ['32-bit integers as numeric strings', { small: '-12', numbers: ['7', 8] }],
    ['doubles as strings, NaN and the infinities', { real: '1e3', children: [{ real: 'NaN' }, { real: '-Infinity' }] }],
    ['bytes as base64 text or an array', { data: 'AQI=', child: { data: [1, 2] } }],
    ['enums by name or number (open enums keep unknown numbers)', { kind: 'KIND_A', child: { kind: 7 } }],
    ['unset fields and keys that are not fields', { name: undefined, child: null, other: {} }],
    ['maps of messages', { named: { a: { name: 'x' } }, labels: { b: 'y' } }],
  ])('accepts %s', (_name, reply) => {
    expect(() => check(reply)).not.toThrow()
  })

  test.each([
    ['an object for a string', { name: {} }, 'fuzz.v1.Node.name: an object is not a string'],
    ['a number for a string', { name: 42 }, 'fuzz.v1.Node.name: a number is not a string'],
    ['a non-numeric string for an int64', { big: 'abc' }, 'fuzz.v1.Node.big: a string is not a 64-bit integer'],
    ['a fraction for an int64', { big: 1.5 }, 'fuzz.v1.Node.big: a number is not a 64-bit integer'],
    ['a fraction for a sint32', { small: 1.5 }, 'fuzz.v1.Node.small: a number is not a 32-bit integer in range'],
    ['2^31 for a sint32', { small: 2 ** 31 }, 'fuzz.v1.Node.small: a number is not a 32-bit integer in range'],
    ['a negative uint32', { numbers: [1, -1] }, 'fuzz.v1.Node.numbers: a number is not a 32-bit integer in range'],
    ['an empty string for a number', { real: '' }, 'fuzz.v1.Node.real: a string is not a number'],
    ["'false' for a bool", { flag: 'false' }, 'fuzz.v1.Node.flag: a string is not a boolean'],
    ['an unknown enum name', { kind: 'KIND_Z' }, 'fuzz.v1.Node.kind: a string is not a value of Kind'],
    ['a number for bytes', { data: 5 }, 'fuzz.v1.Node.data: a number is not bytes'],
    ['a string for a message', { child: 'x' }, 'fuzz.v1.Node.child: a string is not a message'],
    ['a list that is not an array', { children: {} }, 'fuzz.v1.Node.children: an object is not a list'],
    [
      'a wrong type deep in a map value',
      { named: { a: { child: { name: {} } } } },
      'fuzz.v1.Node.name: an object is not a string',
    ],
  ])('rejects %s', (_name, reply, message) => {
    expect(() => check(reply)).toThrow(new TypeError(message))
  })

  test('built once per type', () => {
    expect(replyCheck(Node)).toBe(check)
  })
})
