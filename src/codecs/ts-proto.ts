import type { MessageCodec } from '../codec.js'
import { dropPrototypeKeysIfNamed } from './prototype-keys.js'

/**
 * The functions ts-proto generates for each message (`MessageFns<T>`), as far as the codec calls them. Nothing here
 * imports ts-proto's runtime (`@bufbuild/protobuf/wire`): the generated code brings it.
 */
export interface TsProtoMessageFns<T> {
  encode(message: T): { finish(): Uint8Array }
  decode(input: Uint8Array): T
  fromJSON(object: unknown): T
  toJSON(message: T): unknown
  fromPartial(object: never): T
}

/**
 * The ts-proto family's codec for one message type: the generated `encode`/`decode` and `fromJSON`/`toJSON`. Replies
 * go through `fromPartial` first, which fills the fields a handler left out (ts-proto's `encode` expects every field).
 * JSON is ts-proto's own mapping: with its default `forceLong=number`, 64-bit integers are JSON numbers; replies
 * always use the lowerCamel JSON names (ts-proto keeps no field descriptors to find the .proto names). Map keys named
 * `__proto__` are dropped from decoded messages (see prototype-keys.ts).
 */
export function tsProtoCodec<T>(fns: TsProtoMessageFns<T>): MessageCodec<T> {
  const toMessage = (reply: unknown): T => fns.fromPartial(reply as never)
  return {
    decodeBinary: (bytes) => dropPrototypeKeysIfNamed(fns.decode(bytes), bytes),
    decodeJson: (text) => {
      const json: unknown = JSON.parse(text)
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new TypeError('a message must be a JSON object')
      }
      return dropPrototypeKeysIfNamed(fns.fromJSON(json), text)
    },
    encodeBinary: (reply) => fns.encode(toMessage(reply)).finish(),
    encodeJson: (reply) => JSON.stringify(fns.toJSON(toMessage(reply))),
  }
}
