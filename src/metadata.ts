/**
 * RPC metadata: a small Headers-like map. WHATWG `Headers` would do, but each one costs 1–1.5 µs and the first one in
 * a process loads undici (25–35 ms of cold start), so this is our own.
 */
export type MetadataInit =
  | Metadata
  | Record<string, string | readonly string[] | undefined>
  | Iterable<readonly [string, string]>

export class Metadata implements Iterable<[string, string]> {
  readonly #values = new Map<string, string[]>()

  constructor(init?: MetadataInit) {
    if (init === undefined) return
    if (isIterable(init)) {
      for (const [name, value] of init) this.append(name, value)
      return
    }
    for (const name of Object.keys(init)) {
      const value = init[name]
      if (value === undefined) continue
      if (typeof value === 'string') this.append(name, value)
      else for (const item of value) this.append(name, item)
    }
  }

  /** The values of `name` joined by `, `, or `null`. */
  get(name: string): string | null {
    const values = this.#values.get(name.toLowerCase())
    return values === undefined ? null : values.join(', ')
  }

  /** Every value of `name` as it was added (not split on commas). */
  getAll(name: string): string[] {
    return this.#values.get(name.toLowerCase())?.slice() ?? []
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase())
  }

  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), [value])
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase()
    const values = this.#values.get(key)
    if (values === undefined) this.#values.set(key, [value])
    else values.push(value)
  }

  delete(name: string): void {
    this.#values.delete(name.toLowerCase())
  }

  get size(): number {
    return this.#values.size
  }

  forEach(callback: (value: string, name: string, metadata: Metadata) => void): void {
    for (const [name, value] of this) callback(value, name, this)
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [name, values] of this.#values) yield [name, values.join(', ')]
  }

  *keys(): IterableIterator<string> {
    yield* this.#values.keys()
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
}

function isIterable(value: object): value is Iterable<readonly [string, string]> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
}

/**
 * Headers that belong to the protocol. Metadata may not set them: a handler's `content-type` or `grpc-status` would
 * corrupt the response.
 */
export function isReservedHeader(name: string): boolean {
  return (
    name.startsWith('grpc-') ||
    name.startsWith('connect-') ||
    name.startsWith('trailer-') ||
    name.startsWith('access-control-') ||
    reservedHeaders.has(name)
  )
}

const reservedHeaders = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'transfer-encoding',
  'connection',
  'host',
  'te',
  'trailer',
  'user-agent',
  'date',
  'vary',
])

const headerToken = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
const unsafeHeaderValue = /[\r\n\0]/

/**
 * False for metadata that cannot go out as an HTTP field: a name that is not a lower-case HTTP token (or is
 * `__proto__`), a value holding CR, LF or NUL. Such entries are dropped rather than sent, so that a handler echoing
 * untrusted input into its metadata cannot forge headers or gRPC-Web trailer lines (`grpc-status`).
 */
export function isSendableHeader(name: string, value: string): boolean {
  return headerToken.test(name) && !unsafeHeaderValue.test(value) && name !== '__proto__'
}

/** Encodes a `-bin` metadata value: base64 without padding, as gRPC asks senders to emit. */
export function encodeBinaryHeader(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64').replace(/=+$/, '')
}

/** Decodes a `-bin` metadata value; padded and unpadded base64 are accepted, comma-joined values are concatenated. */
export function decodeBinaryHeader(value: string): Uint8Array {
  const parts = value.split(',')
  if (parts.length === 1) return Buffer.from(value.trim(), 'base64')
  return Buffer.concat(parts.map((part) => Buffer.from(part.trim(), 'base64')))
}

/** Strips base64 padding from every comma-separated part of a `-bin` value. */
export function unpadBinaryHeader(value: string): string {
  return value.includes('=') ? value.replace(/=+(?=\s*(,|$))/g, '') : value
}

const plainGrpcMessage = /^[\x20-\x24\x26-\x7e]*$/

/** Percent-encodes `grpc-message`: UTF-8, every byte outside 0x20–0x7E and `%` as `%XX`. */
export function encodeGrpcMessage(message: string): string {
  if (plainGrpcMessage.test(message)) return message
  let encoded = ''
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}

/** Decodes `grpc-message`; a malformed escape is kept as it is rather than failing, as the spec asks. */
export function decodeGrpcMessage(encoded: string): string {
  if (!encoded.includes('%')) return encoded
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    const hex = encoded.charCodeAt(i) === 0x25 ? encoded.slice(i + 1, i + 3) : ''
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(encoded[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
