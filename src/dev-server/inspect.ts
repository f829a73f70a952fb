import { statusName, isStatusCode } from '../status.js'
import { mediaType } from '../protocol/detect.js'

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

export interface Frame {
  flags: number
  /** Declared length. */
  length: number
  data: Uint8Array
  /** The body ended before the declared length. */
  truncated: boolean
}

/** The 5-byte-prefixed frames of a body (gRPC, gRPC-Web, Connect streaming). */
export function readFrames(body: Uint8Array, maxFrames = 64): Frame[] {
  const frames: Frame[] = []
  let offset = 0
  while (offset + 5 <= body.byteLength && frames.length < maxFrames) {
    const flags = body[offset]
    const length =
      ((body[offset + 1] << 24) | (body[offset + 2] << 16) | (body[offset + 3] << 8) | body[offset + 4]) >>> 0
    const end = Math.min(body.byteLength, offset + 5 + length)
    frames.push({
      flags,
      length,
      data: body.subarray(offset + 5, end),
      truncated: offset + 5 + length > body.byteLength,
    })
    offset += 5 + length
  }
  return frames
}

const isEnveloped = (protocol: string, contentType: string): boolean =>
  protocol === 'grpc' ||
  protocol === 'grpc-web' ||
  protocol === 'grpc-web-text' ||
  contentType.startsWith('application/connect+')

/** The body as the wire carries it: gRPC-Web text decoded from base64. */
function wireBytes(protocol: string, body: Uint8Array): Uint8Array {
  if (protocol !== 'grpc-web-text') return body
  const text = Buffer.from(body).toString('latin1').replace(/\s+/g, '')
  return Buffer.concat(text.split(/(?<==)(?=[^=])/).map((chunk) => Buffer.from(chunk, 'base64')))
}

/** The RPC status a response carries, for the log line: grpc-status (headers, trailers, gRPC-Web trailer frame), Connect error code, or none. */
export function findRpcStatus(
  protocol: string,
  headers: readonly (readonly [string, string])[],
  body: Uint8Array,
): { code: number | string; message?: string } | undefined {
  const fromHeaders = readStatusFields(headers)
  if (fromHeaders !== undefined) return fromHeaders
  if (protocol === 'connect' || protocol === 'twirp') {
    // Connect unary and Twirp errors: a JSON body with a string code, Connect's `message`, Twirp's `msg`.
    if (
      !mediaType(headerOf(headers, 'content-type')).endsWith('json') ||
      body.byteLength === 0 ||
      body.byteLength > 65536
    )
      return undefined
    try {
      const error = JSON.parse(Buffer.from(body).toString('utf8')) as {
        code?: unknown
        message?: unknown
        msg?: unknown
      }
      if (typeof error.code !== 'string') return undefined
      const message =
        typeof error.message === 'string' ? error.message : typeof error.msg === 'string' ? error.msg : undefined
      return { code: error.code, message }
    } catch {
      return undefined
    }
  }
  if (protocol === 'grpc-web' || protocol === 'grpc-web-text') {
    const trailer = readFrames(wireBytes(protocol, body)).find(
      (frame) => (frame.flags & 0x80) !== 0 && (frame.flags & 0x01) === 0,
    )
    if (trailer === undefined) return undefined
    const fields: [string, string][] = []
    for (const line of Buffer.from(trailer.data).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0) fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
    }
    return readStatusFields(fields)
  }
  return undefined
}

function headerOf(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value
  return undefined
}

function readStatusFields(
  fields: readonly (readonly [string, string])[],
): { code: number; message?: string } | undefined {
  let code: number | undefined
  let message: string | undefined
  for (const [name, value] of fields) {
    const key = name.toLowerCase()
    if (key === 'grpc-status') code = Number(value)
    else if (key === 'grpc-message') message = safeDecodeURIComponent(value)
  }
  return code === undefined || Number.isNaN(code) ? undefined : { code, message }
}

function safeDecodeURIComponent(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** `grpc-status 5 NOT_FOUND "no such user"`, or `HTTP 415`. */
/** `grpc-status 5 NOT_FOUND "no such user"`, `HTTP 404 not_found "no such user"` (Connect, Twirp) or `HTTP 415`. */
export function describeStatus(
  httpStatus: number,
  rpc: { code: number | string; message?: string } | undefined,
): string {
  if (rpc === undefined) return `HTTP ${httpStatus}`
  const message = rpc.message
    ? ` ${JSON.stringify(rpc.message.length > 120 ? `${rpc.message.slice(0, 120)}…` : rpc.message)}`
    : ''
  if (typeof rpc.code === 'string') return `HTTP ${httpStatus} ${rpc.code}${message}`
  const name = isStatusCode(rpc.code) ? statusName(rpc.code) : 'INVALID'
  return `grpc-status ${rpc.code} ${name}${message}${httpStatus === 200 ? '' : ` (HTTP ${httpStatus})`}`
}

export function hex(bytes: Uint8Array, maxBytes: number): string {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, maxBytes)).toString('hex')
  const spaced = shown.replace(/(.{2})(?=.)/g, '$1 ')
  return bytes.byteLength > maxBytes ? `${spaced} … (${bytes.byteLength - maxBytes} more bytes)` : spaced
}

/** Lines describing headers and body, for `verbose`: each frame with its flags and a truncated hex dump. */
export function dumpMessage(
  direction: '>' | '<',
  protocol: string,
  contentType: string,
  headers: readonly (readonly [string, string])[],
  body: Uint8Array,
  trailers: readonly (readonly [string, string])[] = [],
  maxBytes = 64,
): string[] {
  const lines: string[] = []
  for (const [name, value] of headers) lines.push(`  ${direction} ${name}: ${truncate(value, 200)}`)
  if (isEnveloped(protocol, mediaType(contentType))) {
    const bytes = wireBytes(protocol, body)
    const frames = readFrames(bytes)
    let framed = 0
    for (const frame of frames) {
      const kind = (frame.flags & 0x80) !== 0 ? ' trailer' : (frame.flags & 0x02) !== 0 ? ' end-stream' : ''
      const compressed = (frame.flags & 0x01) !== 0 ? ' compressed' : ''
      const text =
        kind !== '' && compressed === ''
          ? ` ${JSON.stringify(truncate(Buffer.from(frame.data).toString('utf8'), 300))}`
          : ''
      lines.push(
        `  ${direction} frame flags=0x${frame.flags.toString(16).padStart(2, '0')}${kind}${compressed} length=${frame.length}` +
          `${frame.truncated ? ' (truncated body)' : ''}${text || (frame.data.byteLength > 0 ? `: ${hex(frame.data, maxBytes)}` : '')}`,
      )
      framed += 5 + frame.data.byteLength
    }
    if (framed < bytes.byteLength)
      lines.push(`  ${direction} ${bytes.byteLength - framed} trailing bytes: ${hex(bytes.subarray(framed), maxBytes)}`)
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
  for (const [name, value] of trailers) lines.push(`  ${direction} trailer ${name}: ${truncate(value, 200)}`)
  return lines
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
