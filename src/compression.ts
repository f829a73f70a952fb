import type * as NodeBuffer from 'node:buffer'
import type * as Zlib from 'node:zlib'
import { GrpcError, messageTooLarge } from './grpc-error.js'
import { lazyBuiltin } from './lazy-builtin.js'
import { Status } from './status.js'

export interface Compression {
  readonly name: string
  compress(data: Uint8Array): Uint8Array
  /** Throws RESOURCE_EXHAUSTED when the output would pass `maxBytes`, so a zip bomb never inflates. */
  decompress(data: Uint8Array, maxBytes: number): Uint8Array
}

// Loaded on the first compressed message: most calls never compress.
const loadZlib = lazyBuiltin<typeof Zlib>('node:zlib')
// Not imported either: an ESM import of node:buffer loads its lazy exports (internal/file), ~0.7 ms of CPU in the same
// cold-start measure as node:stream's (event/write.ts).
const loadBuffer = lazyBuiltin<typeof NodeBuffer>('node:buffer')

function zlibCompression(
  name: string,
  compressName: 'gzipSync' | 'deflateSync',
  decompressName: 'gunzipSync' | 'inflateSync',
): Compression {
  return {
    name,
    compress: (data) => loadZlib()[compressName](data),
    decompress(data, maxBytes) {
      const decompress = loadZlib()[decompressName]
      let output: Uint8Array
      try {
        // maxOutputLength must be finite, at least 1 and at most buffer.constants.MAX_LENGTH.
        output = decompress(data, {
          maxOutputLength: Math.min(Math.max(maxBytes, 1), loadBuffer().constants.MAX_LENGTH),
        })
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw messageTooLarge(undefined, maxBytes, error)
        }
        throw new GrpcError(Status.INTERNAL, `failed to decompress ${name} message`, { cause: error })
      }
      // A limit of 0 could not be given to zlib.
      if (output.byteLength > maxBytes) {
        throw messageTooLarge(undefined, maxBytes)
      }
      return output
    },
  }
}

export const gzip = zlibCompression('gzip', 'gzipSync', 'gunzipSync')
/** gRPC's "deflate" is the zlib format (RFC 1950), as grpc-go and grpc-js send it. */
export const deflate = zlibCompression('deflate', 'deflateSync', 'inflateSync')

export const compressions: readonly Compression[] = [gzip, deflate]

/** `gzip, deflate`: what the server can decompress (Connect's accept-encoding headers). */
export const supportedEncodings = compressions.map((c) => c.name).join(', ')
/** `gzip, deflate, identity`: the same, as gRPC's grpc-accept-encoding lists it. */
export const acceptEncodingValue = `${supportedEncodings}, identity`

/**
 * The compression a request declares. `null` is identity. An encoding the server lacks is UNIMPLEMENTED; the error
 * message lists what is supported, and every response carries the accept-encoding header of its protocol.
 */
export function findRequestCompression(name: string | undefined): Compression | null {
  if (name === undefined || name === '' || name === 'identity') return null
  const compression = compressions.find((c) => c.name === name)
  if (compression !== undefined) return compression
  throw new GrpcError(Status.UNIMPLEMENTED, `unsupported compression "${name}": supported are ${acceptEncodingValue}`)
}

/**
 * The compression for the response: the first of the client's accepted encodings we support. Without an accept
 * header, the request's own encoding is reused, as gRPC servers do.
 */
export function negotiateResponseCompression(
  accepted: string | undefined,
  requestCompression: Compression | null,
): Compression | null {
  if (accepted === undefined) return requestCompression
  for (const token of accepted.split(',')) {
    // Connect forbids q-values, but HTTP clients send them; the name is what counts.
    const name = token.split(';')[0].trim()
    const compression = compressions.find((c) => c.name === name)
    if (compression !== undefined) return compression
  }
  return null
}
