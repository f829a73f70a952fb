import protobuf from 'protobufjs/light.js'

/** A Lambda handler for an HTTP event. */
export type LambdaHandler = (event: any, context: any) => Promise<any>

// ---------------------------------------------------------------------------------------------------------------
// (a) The floor: what a hand-written gRPC-Web unary handler needs and nothing more.
// ---------------------------------------------------------------------------------------------------------------

const okTrailer = Buffer.from('\x80\x00\x00\x00\x10grpc-status: 0\r\n', 'latin1')
// 21 bytes = five little-endian words (fixed32 writes any 32-bit value) and one byte below 0x80 (a one-byte varint).
const okTrailerWords = [0, 4, 8, 12, 16].map((offset) => okTrailer.readUInt32LE(offset))
const okTrailerLastByte = okTrailer[20]
const floorHeaders = { 'content-type': 'application/grpc-web+proto' }

function floorError(code: number, message: string): any {
  const text = `grpc-status: ${code}\r\ngrpc-message: ${encodeURIComponent(message)}\r\n`
  const frame = Buffer.alloc(5 + Buffer.byteLength(text))
  frame[0] = 0x80
  frame.writeUInt32BE(frame.length - 5, 1)
  frame.write(text, 5)
  return { statusCode: 200, headers: floorHeaders, body: frame.toString('base64'), isBase64Encoded: true }
}

/**
 * Base64-decode, deframe, protobufjs decode; encode into one reused Writer with the 5-byte header reserved and the
 * trailer frame written into the same Writer; the header patched in place; one base64 pass over the result.
 */
export function floorHandler(
  requestType: protobuf.Type,
  responseType: protobuf.Type,
  impl: (request: any) => any,
): LambdaHandler {
  const writer = protobuf.Writer.create()
  return async function floor(event) {
    writer.reset()
    const body = Buffer.from(event.body, 'base64')
    if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) return floorError(13, 'bad frame')
    let request: protobuf.Message
    try {
      request = requestType.decode(body.subarray(5))
    } catch {
      return floorError(13, 'bad message')
    }
    const reply = impl(request)
    writer.fixed32(0).uint32(0)
    responseType.encode(reply, writer)
    const messageBytes = writer.len - 5
    for (const word of okTrailerWords) writer.fixed32(word)
    writer.uint32(okTrailerLastByte)
    const out = writer.finish() as Buffer
    writer.reset()
    out[0] = 0
    out.writeUInt32BE(messageBytes, 1)
    return { statusCode: 200, headers: floorHeaders, body: out.toString('base64'), isBase64Encoded: true }
  }
}
