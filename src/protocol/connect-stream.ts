import { findRequestCompression, negotiateResponseCompression } from '../compression.js'
import { decodeSingleEnvelope, encodeEnvelope, envelopeHeaderBytes, flagEndStream } from '../envelope.js'
import type { HttpResponse } from '../event.js'
import type { GrpcError } from '../grpc-error.js'
import type { Metadata } from '../metadata.js'
import { parseConnectTimeout } from '../timeout.js'
import { checkProtocolVersion, connectErrorJson } from './connect.js'
import { copyMetadata, frameReply, readEnvelopePayload } from './grpc-common.js'
import type { Exchange, Protocol, StreamWriter } from './protocol.js'

const stream: StreamWriter = {
  head(exchange) {
    const headers: Record<string, string> = { 'content-type': exchange.contentType }
    if (exchange.responseCompression !== null) headers['connect-content-encoding'] = exchange.responseCompression.name
    headers['connect-accept-encoding'] = 'gzip, deflate'
    copyMetadata(headers, exchange.call?.peekResponseMetadata().header)
    return { status: 200, headers }
  },
  frame: (exchange, reply) => frameReply(exchange, reply).frame,
  end: (exchange, error) => ({ frame: encodeEnvelope(flagEndStream, Buffer.from(formatEndStream(exchange, error))) }),
}

/**
 * Connect streaming (`application/connect+proto|json`), used by server-streaming methods: enveloped messages, the
 * status always HTTP 200, and a final end-stream frame (flag 0x02) carrying the error and trailers as JSON.
 */
export const connectStream: Protocol = {
  name: 'connect',
  replyOffset: envelopeHeaderBytes,
  readRequest(exchange) {
    const { headers, body } = exchange.http
    const { options } = exchange
    checkProtocolVersion(
      headers['connect-protocol-version'],
      '1',
      options.requireConnectProtocolHeader,
      'connect-protocol-version',
    )
    const timeoutMs = parseConnectTimeout(headers['connect-timeout-ms'])
    const requestCompression = findRequestCompression(headers['connect-content-encoding'])
    const envelope = decodeSingleEnvelope(body, options.readMaxBytes)
    return {
      timeoutMs,
      message: readEnvelopePayload(envelope.flags, envelope.data, requestCompression, options.readMaxBytes),
      responseCompression: negotiateResponseCompression(headers['connect-accept-encoding'], requestCompression),
    }
  },
  writeReply(exchange, reply) {
    return writeWhole(exchange, [stream.frame(exchange, reply)], undefined)
  },
  writeError(exchange, error) {
    return writeWhole(exchange, [], error)
  },
  stream,
}

function writeWhole(exchange: Exchange, frames: Uint8Array[], error: GrpcError | undefined): HttpResponse {
  const { status, headers } = stream.head(exchange)
  return { status, headers, body: Buffer.concat([...frames, stream.end(exchange, error, true).frame!]) }
}

/** `{"error"?: {...}, "metadata"?: {"name": ["value", ...]}}`; success without trailers is `{}`. */
function formatEndStream(exchange: Exchange, error: GrpcError | undefined): string {
  const json: { error?: object; metadata?: Record<string, string[]> } = {}
  if (error !== undefined) json.error = connectErrorJson(error)
  const metadata: Record<string, string[]> = Object.create(null)
  addMetadata(metadata, exchange.call?.peekResponseMetadata().trailer)
  addMetadata(metadata, error?.metadata)
  if (Object.keys(metadata).length > 0) json.metadata = metadata
  return JSON.stringify(json)
}

function addMetadata(target: Record<string, string[]>, metadata: Metadata | undefined): void {
  if (metadata === undefined || metadata.size === 0) return
  const flat: Record<string, string> = Object.create(null)
  copyMetadata(flat, metadata)
  for (const name of Object.keys(flat)) (target[name] ??= []).push(...metadata.getAll(name))
}
