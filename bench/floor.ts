import protobuf from 'protobufjs/light.js'
import { trailerFrame } from '../test/support/frames.js'

/** A Lambda handler for an HTTP event. */
export type LambdaHandler = (event: any, context: any) => Promise<any>

// ---------------------------------------------------------------------------------------------------------------
// (a) The floor: what a hand-written gRPC-Web unary handler needs and nothing more, copying nothing it need not.
// ---------------------------------------------------------------------------------------------------------------

const okTrailer = trailerFrame('grpc-status: 0\r\n')
// 21 bytes = five little-endian words (fixed32 writes any 32-bit value) and one byte below 0x80 (a one-byte varint).
const okTrailerWords = [0, 4, 8, 12, 16].map((offset) => okTrailer.readUInt32LE(offset))
const okTrailerLastByte = okTrailer[20]
const floorHeaders = { 'content-type': 'application/grpc-web+proto' }

/**
 * protobufjs 8 keeps one contiguous buffer per Writer and `finish(true)` returns a view of it; protobufjs 7's
 * `finish()` takes no argument and always allocates and copies (its Writer is a list of operations).
 */
export const finishTakesView = protobuf.Writer.create().finish.length > 0

function floorError(code: number, message: string): any {
  const body = trailerFrame(`grpc-status: ${code}\r\ngrpc-message: ${encodeURIComponent(message)}\r\n`)
  return { statusCode: 200, headers: floorHeaders, body: body.toString('base64'), isBase64Encoded: true }
}

/**
 * Base64-decode once, check the frame, decode a view of the message (protobufjs's bytes fields are views of the
 * request buffer); encode into one reused Writer with the 5-byte header reserved and the trailer frame appended; take
 * the bytes as a view (protobufjs 8) or one copy (protobufjs 7), patch the header in place; one base64 pass. The view
 * is read before the function returns, so no other call can write into the Writer meanwhile.
 */
export function floorHandler(
  requestType: protobuf.Type,
  responseType: protobuf.Type,
  impl: (request: any) => any,
): LambdaHandler {
  const writer = protobuf.Writer.create()
  const finish: () => Uint8Array = finishTakesView
    ? () => (writer.finish as (shared: boolean) => Uint8Array)(true)
    : () => writer.finish()
  return async function floor(event) {
    const body = Buffer.from(event.body, 'base64')
    if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) return floorError(13, 'bad frame')
    let request: protobuf.Message
    try {
      request = requestType.decode(body.subarray(5))
    } catch {
      return floorError(13, 'bad message')
    }
    const reply = impl(request)
    writer.reset()
    writer.fixed32(0).uint32(0)
    responseType.encode(reply, writer)
    const messageBytes = writer.len - 5
    for (const word of okTrailerWords) writer.fixed32(word)
    writer.uint32(okTrailerLastByte)
    const bytes = finish()
    const out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    out[0] = 0
    out.writeUInt32BE(messageBytes, 1)
    const text = out.toString('base64')
    writer.reset()
    return { statusCode: 200, headers: floorHeaders, body: text, isBase64Encoded: true }
  }
}
