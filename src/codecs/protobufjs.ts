import type protobuf from 'protobufjs'
import light from 'protobufjs/light.js'
import { type MessageCodec, ownBytes } from '../codec.js'
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

/** protobufjs 8's `finish(true)`: a view of the Writer's own buffer, `buf`. protobufjs 7 has neither and copies. */
type FinishingWriter = protobuf.Writer & { finish(shared?: boolean): Uint8Array; buf?: Uint8Array }

/**
 * The protobufjs family's codec for one type. `Type.encode` does not validate, so replies go through `fromObject`
 * first (a no-op for a message of the type): a wrong reply fails in the codec instead of leaving as a corrupt frame.
 * With a reflection type (the type itself, or for a static-module class the same message's reflection type), replies
 * are checked first for values `fromObject` would convert with loss (see protobufjs-check.ts), and decoded messages
 * lose their maps' `__proto__` keys (see prototype-keys.ts).
 *
 * Unary replies are encoded with room into one Writer per type. On protobufjs 8 the bytes are a view of the Writer's
 * buffer, which grows to the largest reply and is reused: the Writer is lent out until the caller releases the bytes
 * (a concurrent call meanwhile gets a new one). On protobufjs 7 `finish` copies, and each reply gets a new Writer.
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
  let spare: FinishingWriter | undefined
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
    encodeBinaryWithRoom(message, headBytes, tailBytes) {
      check?.(message as object)
      const value = type.fromObject(message as Record<string, unknown>)
      const writer = spare ?? (light.Writer.create() as FinishingWriter)
      spare = undefined
      writer.reset()
      reserve(writer, headBytes)
      type.encode(value, writer)
      reserve(writer, tailBytes)
      // A Writer whose encode threw is not reused: it may hold a fork that was never closed.
      const bytes = writer.finish(true)
      // protobufjs 7 copied: its Writer, a list of operations, is not kept (it would hold them until the next reply,
      // which cost a 100 B call about 8 % more CPU in a fresh Node 20 process).
      if (bytes.buffer !== writer.buf?.buffer) return { bytes, release: ownBytes }
      return {
        bytes,
        release: () => {
          spare = writer
        },
      }
    },
  }
}

/** `bytes` bytes of zeros, written with the Writer's own operations (four at a time, then one at a time). */
function reserve(writer: protobuf.Writer, bytes: number): void {
  let left = bytes
  for (; left >= 4; left -= 4) writer.fixed32(0)
  for (; left > 0; left--) writer.uint32(0)
}
