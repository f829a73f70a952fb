import { EnvelopeReader, type Envelope, flagCompressed, flagEndStream, flagTrailer } from '../envelope.js'
import { decodeGrpcMessage } from '../metadata.js'
import { mediaType } from '../protocol/detect.js'
import { decodeGrpcWebText } from '../protocol/grpc-web.js'
import { headerContentType, headerGrpcMessage, headerGrpcStatus } from '../protocol/headers.js'
import { parseTrailerBlock } from '../protocol/trailer.js'
import { isStatusCode, statusName } from '../status.js'
import { headerValue } from './http-exchange.js'

type Fields = readonly (readonly [string, string])[]

/** An RPC status as a log line shows it: a gRPC code, or a Connect / Twirp error code. */
export interface RpcStatus {
  code: number | string
  message?: string
}

/** What a log line calls a request's protocol, from its content-type (and path, for Twirp). */
export function describeProtocol(method: string, path: string, contentType: string | undefined): string {
  const type = mediaType(contentType)
  if (type.startsWith('application/grpc-web-text')) return 'grpc-web-text'
  if (type.startsWith('application/grpc-web')) return 'grpc-web'
  if (type === 'application/grpc' || type.startsWith('application/grpc+')) return 'grpc'
  if (type.startsWith('application/connect+')) return 'connect'
  if (path.startsWith('/twirp/') || path.includes('/twirp/')) return 'twirp'
  if (type === 'application/proto' || type === 'application/json') return 'connect'
  if (method === 'GET' && /[?&]connect=v1\b/.test(path)) return 'connect'
  if (method === 'OPTIONS') return 'preflight'
  return type === '' ? 'http' : `http (${type})`
}

const isEnveloped = (protocol: string, contentType: string): boolean =>
  protocol === 'grpc' ||
  protocol === 'grpc-web' ||
  protocol === 'grpc-web-text' ||
  contentType.startsWith('application/connect+')

/** The body as the wire carries it (gRPC-Web text decoded), or undefined when it cannot be decoded. */
function wireBytes(protocol: string, body: Uint8Array): Uint8Array | undefined {
  if (protocol !== 'grpc-web-text') return body
  try {
    return decodeGrpcWebText(body)
  } catch {
    return undefined
  }
}

/** The complete frames of a body, and how many bytes are left over (an incomplete frame). */
function readFrames(body: Uint8Array): { frames: Envelope[]; leftover: number } {
  const reader = new EnvelopeReader()
  const frames = reader.push(body)
  return { frames, leftover: reader.buffered }
}

/**
 * The RPC status a response carries, for the log line: grpc-status (headers, trailers, gRPC-Web trailer frame), the
 * error code of a Connect or Twirp JSON error body, or none.
 */
export function findRpcStatus(protocol: string, headers: Fields, body: Uint8Array): RpcStatus | undefined {
  const fromHeaders = readStatusFields(headers)
  if (fromHeaders !== undefined) return fromHeaders
  if (protocol === 'connect' || protocol === 'twirp') {
    const json = mediaType(headerValue(headers, headerContentType)).endsWith('json')
    return json && body.byteLength <= 65536 ? readErrorJson(body) : undefined
  }
  if (protocol === 'grpc-web' || protocol === 'grpc-web-text') {
    const bytes = wireBytes(protocol, body)
    const trailer = bytes && readFrames(bytes).frames.find((frame) => (frame.flags & flagTrailer) !== 0)
    return trailer && frameStatus(trailer)
  }
  return undefined
}

/**
 * The error of a Connect unary error body or end-stream frame (`{"code","message"}`, or `{"error":{…}}`), or of a
 * Twirp error body (`{"code","msg"}`).
 */
function readErrorJson(data: Uint8Array): RpcStatus | undefined {
  try {
    const json = JSON.parse(Buffer.from(data).toString('utf8')) as { error?: unknown }
    const error = (typeof json.error === 'object' && json.error !== null ? json.error : json) as Record<string, unknown>
    if (typeof error.code !== 'string') return undefined
    const message = [error.message, error.msg].find((text) => typeof text === 'string') as string | undefined
    return { code: error.code, message }
  } catch {
    return undefined
  }
}

function readStatusFields(fields: Fields): { code: number; message?: string } | undefined {
  const status = headerValue(fields, headerGrpcStatus)
  const code = status === undefined ? Number.NaN : Number(status)
  if (Number.isNaN(code)) return undefined
  const message = headerValue(fields, headerGrpcMessage)
  return { code, message: message === undefined ? undefined : decodeGrpcMessage(message) }
}

/** `grpc-status 5 NOT_FOUND "no such user"`, `HTTP 404 not_found "no such user"` (Connect, Twirp) or `HTTP 415`. */
export function describeStatus(httpStatus: number, rpc: RpcStatus | undefined): string {
  if (rpc === undefined) return `HTTP ${httpStatus}`
  const message = rpc.message ? ` ${JSON.stringify(truncate(rpc.message, 120))}` : ''
  if (typeof rpc.code === 'string') return `HTTP ${httpStatus} ${rpc.code}${message}`
  const name = isStatusCode(rpc.code) ? statusName(rpc.code) : 'INVALID'
  return `grpc-status ${rpc.code} ${name}${message}${httpStatus === 200 ? '' : ` (HTTP ${httpStatus})`}`
}

function hex(bytes: Uint8Array, maxBytes: number): string {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, maxBytes)).toString('hex')
  const spaced = shown.replace(/(.{2})(?=.)/g, '$1 ')
  return bytes.byteLength > maxBytes ? `${spaced} … (${bytes.byteLength - maxBytes} more bytes)` : spaced
}

/** Headers whose values `verbose` never prints: credentials, and binary metadata (`-bin`). */
function isSecretHeader(name: string): boolean {
  const key = name.toLowerCase()
  return (
    key === 'authorization' ||
    key === 'proxy-authorization' ||
    key === 'cookie' ||
    key === 'set-cookie' ||
    key.endsWith('-bin')
  )
}

/** A header value as `verbose` prints it: secrets replaced by their length. */
export function redactHeader(name: string, value: string): string {
  return isSecretHeader(name) ? `[redacted, ${Buffer.byteLength(value)} bytes]` : truncate(value, 200)
}

/** The status a trailer frame (gRPC-Web, streamed gRPC) or a Connect end-stream frame carries. */
export function frameStatus(frame: Envelope): RpcStatus | undefined {
  if ((frame.flags & flagCompressed) !== 0) return undefined
  if ((frame.flags & flagTrailer) !== 0) return readStatusFields(parseTrailerBlock(frame.data))
  if ((frame.flags & flagEndStream) !== 0) return readErrorJson(frame.data)
  return undefined
}

/** `  < name: value` lines (`  < trailer name: value` with `label`), secrets redacted. */
export function dumpHeaders(direction: '>' | '<', headers: Fields, label = ''): string[] {
  return headers.map(([name, value]) => `  ${direction} ${label}${name}: ${redactHeader(name, value)}`)
}

/** One line per frame: flags, kind, length; a trailer or end-stream frame as text, others as a hex dump. */
export function describeFrame(direction: '>' | '<', frame: Envelope, maxBytes = 64): string {
  const kind = (frame.flags & flagTrailer) !== 0 ? ' trailer' : (frame.flags & flagEndStream) !== 0 ? ' end-stream' : ''
  const compressed = (frame.flags & flagCompressed) !== 0 ? ' compressed' : ''
  let content = frame.data.byteLength > 0 ? `: ${hex(frame.data, maxBytes)}` : ''
  if (kind === ' trailer' && compressed === '') {
    const block = parseTrailerBlock(frame.data)
      .map(([name, value]) => `${name}: ${redactHeader(name, value)}\r\n`)
      .join('')
    content = ` ${JSON.stringify(truncate(block, 300))}`
  } else if (kind === ' end-stream' && compressed === '') {
    content = ` ${JSON.stringify(truncate(Buffer.from(frame.data).toString('utf8'), 300))}`
  }
  return `  ${direction} frame flags=0x${frame.flags.toString(16).padStart(2, '0')}${kind}${compressed} length=${frame.data.byteLength}${content}`
}

/** Lines describing headers and body, for `verbose`: each frame with its flags and a truncated hex dump. */
export function dumpMessage(
  direction: '>' | '<',
  protocol: string,
  contentType: string,
  headers: Fields,
  body: Uint8Array,
  trailers: Fields = [],
  maxBytes = 64,
): string[] {
  const lines = dumpHeaders(direction, headers)
  const bytes = isEnveloped(protocol, mediaType(contentType)) ? wireBytes(protocol, body) : undefined
  if (bytes !== undefined) {
    const { frames, leftover } = readFrames(bytes)
    for (const frame of frames.slice(0, 64)) lines.push(describeFrame(direction, frame, maxBytes))
    if (frames.length > 64) lines.push(`  ${direction} … ${frames.length - 64} more frames`)
    if (leftover > 0)
      lines.push(
        `  ${direction} ${leftover} bytes of an incomplete frame: ${hex(bytes.subarray(bytes.byteLength - leftover), maxBytes)}`,
      )
    if (bytes.byteLength === 0) lines.push(`  ${direction} (empty body)`)
  } else if (body.byteLength > 0) {
    const type = mediaType(contentType)
    const printable = type.startsWith('text/') || type.includes('json') || type.includes('xml')
    lines.push(
      `  ${direction} body ${body.byteLength} bytes: ${printable ? JSON.stringify(truncate(Buffer.from(body).toString('utf8'), 300)) : hex(body, maxBytes)}`,
    )
  } else {
    lines.push(`  ${direction} (empty body)`)
  }
  lines.push(...dumpHeaders(direction, trailers, 'trailer '))
  return lines
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
