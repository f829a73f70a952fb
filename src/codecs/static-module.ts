import type protobuf from 'protobufjs'
import type { MessageCodec } from '../codec.js'
import { type MessageType, protobufjsCodec } from './protobufjs.js'
import { formatJsonMessage, parseJsonMessage } from './protobufjs-json.js'

/**
 * The codec for one message class of a pbjs static module: binary with the class itself (so `event.message` is an
 * instance of it, as its pbts declaration says), proto3 JSON through the reflection type of the same message from the
 * pbjs JSON descriptor, so JSON is exactly the reflection family's.
 */
export function staticModuleCodec<T>(type: MessageType<T>, reflection: protobuf.Type): MessageCodec<T> {
  return {
    ...protobufjsCodec(type),
    decodeJson: (text) => type.fromObject(parseJsonMessage(reflection, text) as Record<string, unknown>),
    encodeJson: (reply, protoNames) => formatJsonMessage(reflection, reply, protoNames),
  }
}
