import type protobuf from 'protobufjs'
import light from 'protobufjs/light.js'
import type { MessageCodec } from '../codec.js'
import { replyCheck } from './protobufjs-check.js'
import { formatJsonMessage, parseJsonMessage } from './protobufjs-json.js'
import { readerFor } from './protobufjs-reader.js'
import { prototypeKeyDropper } from './prototype-keys.js'

/**
 * A protobufjs message type: a reflection `Type` and a class of a pbjs static module both fit. `fromObject` returns
 * its argument unchanged when that already is a message of the type.
 */
export interface MessageType<T = unknown> {
  encode(message: T, writer?: protobuf.Writer): protobuf.Writer
  decode(reader: protobuf.Reader | Uint8Array, length?: number): T
  fromObject(object: Record<string, unknown>): T
}

/**
 * The protobufjs family's codec for one type. `Type.encode` does not validate, so replies go through `fromObject`
 * first (a no-op for a message of the type): a wrong reply fails in the codec instead of leaving as a corrupt frame.
 * With a reflection type (the type itself, or for a static-module class the same message's reflection type), replies
 * are checked first for values `fromObject` would convert with loss (see protobufjs-check.ts), and decoded messages
 * lose their maps' `__proto__` keys (see prototype-keys.ts).
 */
export function protobufjsCodec<T>(
  type: MessageType<T>,
  reflected: protobuf.Type | undefined = type instanceof light.Type ? type : undefined,
): MessageCodec<T> {
  const dropPrototypeKeys = reflected === undefined ? undefined : prototypeKeyDropper(reflected)
  const check = reflected === undefined ? undefined : replyCheck(reflected)
  const decoded =
    dropPrototypeKeys === undefined
      ? (message: T) => message
      : (message: T) => {
          dropPrototypeKeys(message as object)
          return message
        }
  return {
    decodeBinary: (bytes) => decoded(type.decode(readerFor(bytes))),
    decodeJson: (text) => decoded(parseJsonMessage(type, text)),
    encodeBinary: (message) => {
      check?.(message as object)
      return type.encode(type.fromObject(message as Record<string, unknown>)).finish()
    },
    encodeJson: (message, protoNames) => {
      check?.(message as object)
      return formatJsonMessage(type, message, protoNames)
    },
  }
}
