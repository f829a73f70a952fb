import type { CodecName } from '../../src/codec.js'
import type { HttpRequest } from '../../src/event/shape.js'
import { grpcWeb } from '../../src/protocol/grpc-web.js'
import type { Exchange, Protocol, ProtocolOptions, Reply } from '../../src/protocol/protocol.js'

export const unitOptions: ProtocolOptions = {
  readMaxBytes: 4 * 1024 * 1024,
  readMaxMessages: 10_000,
  writeMaxBytes: Infinity,
  compressMinBytes: 1024,
  requireConnectProtocolHeader: false,
  twirpPrefix: '/twirp',
  twirpLowerCamelJson: false,
}

/** An Exchange as grpcProtocol makes it, for protocol and middleware unit tests. */
export function unitExchange(init: {
  protocol?: Protocol
  method?: string
  path?: string
  headers?: Record<string, string>
  query?: Record<string, string>
  body?: Uint8Array
  contentType?: string
  codec?: CodecName
  options?: Partial<ProtocolOptions>
}): Exchange {
  const headers = init.headers ?? {}
  const http: HttpRequest = {
    shape: 'v2',
    method: init.method ?? 'POST',
    path: init.path ?? '/unit.v1.Items/Get',
    headers,
    headerCount: Object.keys(headers).length,
    headerBytes: 0,
    query: init.query ?? {},
    body: init.body ?? new Uint8Array(0),
  }
  return {
    protocol: init.protocol ?? grpcWeb,
    http,
    contentType: init.contentType ?? 'application/grpc-web+proto',
    codec: init.codec ?? 'proto',
    options: { ...unitOptions, ...init.options },
    responseCompression: null,
    timeoutMs: undefined,
  }
}

/**
 * A reply for protocol tests: `message` with the room asked for, filled with 0xee so that a test shows the protocol
 * wrote every byte of it. `released` counts the calls of `release`.
 */
export function replyOf(message: Uint8Array | number[]): Reply & { released: number } {
  const reply = {
    released: 0,
    encode(headBytes: number, tailBytes: number) {
      const bytes = new Uint8Array(headBytes + message.length + tailBytes).fill(0xee)
      bytes.set(message, headBytes)
      return {
        bytes,
        release: () => {
          reply.released++
        },
      }
    },
  }
  return reply
}
