import light from 'protobufjs/light.js'

/**
 * protobufjs 7's Buffer reader clamps a string field's length to what is left instead of failing: `0a 05` (field 1, a
 * string of 5 bytes, none present) decodes as `''`, so a truncated request would reach the handler as a valid
 * message. protobufjs 8 throws, as its plain Reader always did. On a protobufjs whose Buffer reader clamps, messages
 * are decoded through this subclass, whose `string()` checks the length first; elsewhere nothing changes.
 */
class BoundedBufferReader extends light.BufferReader {
  override string(): string {
    const length = this.uint32()
    const end = this.pos + length
    if (end > this.len) throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`)
    const text = (this.buf as Buffer).toString('utf8', this.pos, end)
    this.pos = end
    return text
  }
}

/** Asked once: does this protobufjs's Buffer reader read a string past the end? */
function clampsStrings(): boolean {
  try {
    new light.BufferReader(Buffer.from([0x05])).string()
    return true
  } catch {
    return false
  }
}

const needsBoundedReader = clampsStrings()

/** What to hand a protobufjs `decode`: the bytes as they are, or, on protobufjs 7, a reader that bounds strings. */
export function readerFor(bytes: Uint8Array): Uint8Array | light.Reader {
  if (!needsBoundedReader) return bytes
  return new BoundedBufferReader(
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  )
}
