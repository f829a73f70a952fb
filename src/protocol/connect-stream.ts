import { supportedEncodings } from '../compression.js'
import { encodeEnvelope, flagEndStream } from '../envelope.js'
import type { GrpcError } from '../grpc-error.js'
import type { Metadata } from '../metadata.js'
import { connectErrorJson, readConnectHeaders } from './connect-common.js'
import { frameMessage, frameReply } from './frame.js'
import {
  copyMetadata,
  headerConnectAcceptEncoding,
  headerConnectContentEncoding,
  headerContentType,
} from './headers.js'
import type { Exchange, Protocol, StreamWriter } from './protocol.js'

const stream: StreamWriter = {
  head(exchange) {
    const headers: Record<string, string> = { [headerContentType]: exchange.contentType }
    if (exchange.responseCompression !== null) {
      headers[headerConnectContentEncoding] = exchange.responseCompression.name
    }
    headers[headerConnectAcceptEncoding] = supportedEncodings
    copyMetadata(headers, exchange.responseHeader)
    return { status: 200, headers }
  },
  frame: frameMessage,
  end: (exchange, error) => ({ frame: encodeEndStream(exchange, error) }),
}

/**
 * Connect streaming (`application/connect+proto|json`), used by streaming methods: enveloped messages both ways
 * (compressed with `connect-content-encoding`), the status always HTTP 200, and a final end-stream frame (flag 0x02)
 * carrying the error and trailers as JSON. Requests carry no end-stream frame: a request body simply ends.
 */
export const connectStream: Protocol = {
  name: 'connect',
  readRequest(exchange) {
    const { timeoutMs, requestCompression, responseCompression } = readConnectHeaders(
      exchange,
      headerConnectContentEncoding,
      headerConnectAcceptEncoding,
    )
    return {
      timeoutMs,
      body: { envelopes: exchange.http.body, compression: requestCompression },
      responseCompression,
    }
  },
  writeReply(exchange, reply) {
    const { status, headers } = stream.head(exchange)
    const { body, release } = frameReply(exchange, reply, encodeEndStream(exchange, undefined))
    return { status, headers, body, releaseBody: release }
  },
  writeError(exchange, error) {
    const { status, headers } = stream.head(exchange)
    return { status, headers, body: encodeEndStream(exchange, error) }
  },
  stream,
}

/** The end-stream frame: `{"error"?: {...}, "metadata"?: {"name": ["value", ...]}}`; success without trailers is `{}`. */
function encodeEndStream(exchange: Exchange, error: GrpcError | undefined): Uint8Array {
  const json: { error?: object; metadata?: Record<string, string[]> } = {}
  if (error !== undefined) json.error = connectErrorJson(error)
  const metadata: Record<string, string[]> = Object.create(null)
  addMetadata(metadata, exchange.responseTrailer)
  addMetadata(metadata, error?.metadata)
  if (Object.keys(metadata).length > 0) json.metadata = metadata
  return encodeEnvelope(flagEndStream, Buffer.from(JSON.stringify(json)))
}

function addMetadata(target: Record<string, string[]>, metadata: Metadata | undefined): void {
  if (metadata === undefined || metadata.size === 0) return
  const flat: Record<string, string> = Object.create(null)
  copyMetadata(flat, metadata)
  for (const name of Object.keys(flat)) {
    target[name] ??= []
    target[name].push(...metadata.getAll(name))
  }
}
