import protobuf from 'protobufjs'
import { formatJsonMessage, hasCanonicalJson, parseJsonMessage } from '../../../src/codecs/protobufjs-json.js'

const root = protobuf.parse(`
  syntax = "proto3";
  package unit.v1;
  message Named { string user_name = 1; Named child = 2; }
`).root
const Named = root.lookupType('unit.v1.Named')

describe('proto3 JSON with protobufjs', () => {
  test('lowerCamel out by default', () => {
    expect(formatJsonMessage(Named, { userName: 'a', child: { userName: 'b' } }, false)).toBe(
      '{"userName":"a","child":{"userName":"b"}}',
    )
  })

  // Only the canonical mapping (protobufjs 8.6+, npm run test:latest) knows the .proto names of a loaded type.
  ;(hasCanonicalJson() ? test : test.skip)('the .proto names when asked (Twirp), with protobufjs 8.6+', () => {
    expect(formatJsonMessage(Named, { userName: 'a', child: { userName: 'b' } }, true)).toBe(
      '{"user_name":"a","child":{"user_name":"b"}}',
    )
  })

  test('either name in; unknown fields and a __proto__ key are ignored', () => {
    const parsed = parseJsonMessage(Named, '{"user_name":"a","child":{"userName":"b"},"extra":1,"__proto__":{"x":1}}')
    expect((parsed as protobuf.Message).toJSON()).toEqual({ userName: 'a', child: { userName: 'b' } })
  })

  test('what is not a JSON object is refused', () => {
    expect(() => parseJsonMessage(Named, '[1]')).toThrow('a message must be a JSON object')
    expect(() => parseJsonMessage(Named, '{')).toThrow(SyntaxError)
  })
})
