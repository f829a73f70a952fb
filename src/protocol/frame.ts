import { encodeEnvelope, flagCompressed } from '../envelope.js'
import type { Exchange } from './protocol.js'

/**
 * One message in its envelope, compressed when an encoding was negotiated and the message is large enough. `after`
 * (gRPC-Web's trailer frame) is written into the same buffer, so the message is copied once.
 */
export function frameMessage(exchange: Exchange, message: Uint8Array, after?: Uint8Array): Uint8Array {
  const compression = exchange.responseCompression
  if (compression !== null && message.byteLength >= exchange.options.compressMinBytes) {
    return encodeEnvelope(flagCompressed, compression.compress(message), after)
  }
  return encodeEnvelope(0, message, after)
}

/** True when `frameMessage` compresses a message of this size. */
export function compresses(exchange: Exchange, messageBytes: number): boolean {
  return exchange.responseCompression !== null && messageBytes >= exchange.options.compressMinBytes
}
