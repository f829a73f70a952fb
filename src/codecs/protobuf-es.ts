import {
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  type Registry,
  create,
  fromBinary,
  fromJsonString,
  isMessage,
  toBinary,
  toJsonString,
} from '@bufbuild/protobuf'
import type { MessageCodec } from '../codec.js'
import { dropPrototypeKeysIfNamed } from './prototype-keys.js'

/**
 * The protobuf-es family's codec for one message type: @bufbuild/protobuf's own binary and (conformant) proto3 JSON.
 * Replies may be messages or init objects (`{ message: 'hi' }`), as connect-es handlers return; an init object goes
 * through `create` first. Unknown JSON fields are ignored, as connect-go and the Twirp Go server do. `registry` lets
 * JSON carry `google.protobuf.Any` fields (and extensions) of the types it holds. Map keys named `__proto__` are
 * dropped from decoded messages (see prototype-keys.ts).
 */
export function protobufEsCodec<Desc extends DescMessage>(
  schema: Desc,
  registry?: Registry,
): MessageCodec<MessageShape<Desc>> {
  const toMessage = (reply: unknown): MessageShape<Desc> =>
    isMessage(reply, schema) ? reply : create(schema, reply as MessageInitShape<Desc>)
  return {
    decodeBinary: (bytes) => dropPrototypeKeysIfNamed(fromBinary(schema, bytes), bytes),
    decodeJson: (text) =>
      dropPrototypeKeysIfNamed(fromJsonString(schema, text, { ignoreUnknownFields: true, registry }), text),
    encodeBinary: (reply) => toBinary(schema, toMessage(reply)),
    encodeJson: (reply, protoNames) =>
      toJsonString(schema, toMessage(reply), { useProtoFieldName: protoNames, registry }),
  }
}
