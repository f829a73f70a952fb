import type protobuf from 'protobufjs'
import type { MessageCodec } from '../codec.js'
import { type MessageType, protobufjsCodec } from './protobufjs.js'

/**
 * The codec for one message class of a pbjs static module: binary with the class itself (so `event.message` is an
 * instance of it, as its pbts declaration says), proto3 JSON through the reflection type of the same message from the
 * pbjs JSON descriptor, so JSON is exactly the reflection family's. The reflection type also drives the reply check
 * and the `__proto__` map-key dropper, as for reflection services.
 */
export function staticModuleCodec<T>(type: MessageType<T>, reflection: protobuf.Type): MessageCodec<T> {
  const json = protobufjsCodec(reflection)
  return {
    ...protobufjsCodec(type, reflection),
    decodeJson: (text) => type.fromObject(json.decodeJson(text) as Record<string, unknown>),
    encodeJson: json.encodeJson,
  }
}
