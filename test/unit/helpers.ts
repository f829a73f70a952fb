import { GrpcError } from '../../src/grpc-error.js'

/** Runs `fn`, expects it to throw a GrpcError, and returns that error for further checks. */
export function catchGrpcError(fn: () => unknown): GrpcError {
  try {
    fn()
  } catch (error) {
    if (error instanceof GrpcError) return error
    throw new Error(`expected a GrpcError, got ${String(error)}`)
  }
  throw new Error('expected a GrpcError, nothing was thrown')
}

/** `Uint8Array` from a hex string such as `"00 00 00 00 03"` (spaces ignored). */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '')
  const bytes = new Uint8Array(digits.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** Plain array of the bytes, for readable `toEqual` failures. */
export function bytesOf(value: Uint8Array | string, encoding: BufferEncoding = 'base64'): number[] {
  return [...(typeof value === 'string' ? Buffer.from(value, encoding) : value)]
}
