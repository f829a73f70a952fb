import { envelopeHeaderBytes, flagTrailer, writeEnvelopeHeader } from '../envelope.js'

/**
 * The trailer block of gRPC-Web (and of gRPC replies the dev server turns into HTTP/2 trailers): `name: value\r\n`
 * lines with lower-case names, in a frame flagged 0x80.
 */
export function encodeTrailerFrame(fields: Record<string, string>): Uint8Array {
  let text = ''
  for (const name of Object.keys(fields)) text += `${name}: ${fields[name]}\r\n`
  const length = Buffer.byteLength(text)
  const frame = Buffer.allocUnsafe(envelopeHeaderBytes + length)
  writeEnvelopeHeader(frame, 0, flagTrailer, length)
  frame.write(text, envelopeHeaderBytes)
  return frame
}

/** The fields of a trailer block (a 0x80 frame's payload), names lower-cased, values trimmed, in order. */
export function parseTrailerBlock(block: Uint8Array): [string, string][] {
  const fields: [string, string][] = []
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8')
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
  }
  return fields
}
