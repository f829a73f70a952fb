/**
 * The length-prefixed frame of gRPC, gRPC-Web and Connect streaming, built here independently of src/ (so that tests
 * do not check src/ against itself) and shared by the tests, bench/ and scripts/soak.js: one flags byte, the length as
 * a 4-byte big-endian integer, the payload. `declaredLength` writes another length than the payload's, for tests of
 * malformed frames.
 */
export function frame(flags: number, payload: Uint8Array | readonly number[], declaredLength = payload.length): Buffer {
  const bytes = Buffer.alloc(5 + payload.length)
  bytes[0] = flags
  bytes.writeUInt32BE(declaredLength >>> 0, 1)
  bytes.set(payload, 5)
  return bytes
}

/** A trailer frame (flags 0x80) around a header block such as `grpc-status: 0\r\n`, its text taken as latin1. */
export function trailerFrame(block: string): Buffer {
  return frame(0x80, Buffer.from(block, 'latin1'))
}

/** The frames of a body, in order (each payload a view of `body`); a truncated last frame throws. */
export function readFrames(body: Uint8Array): { flags: number; payload: Buffer }[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const frames: { flags: number; payload: Buffer }[] = []
  for (let offset = 0; offset < bytes.length; ) {
    if (offset + 5 > bytes.length) throw new Error(`truncated frame header at byte ${offset}`)
    const length = bytes.readUInt32BE(offset + 1)
    if (offset + 5 + length > bytes.length) throw new Error(`truncated frame at byte ${offset}`)
    frames.push({ flags: bytes[offset], payload: bytes.subarray(offset + 5, offset + 5 + length) })
    offset += 5 + length
  }
  return frames
}
