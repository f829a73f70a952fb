import { type Metadata, isReservedHeader, isSendableHeader, unpadBinaryHeader } from '../metadata.js'

/** Header names the protocols read and write, lower-case as the front doors deliver them. */
export const headerContentType = 'content-type'
export const headerContentEncoding = 'content-encoding'
export const headerAcceptEncoding = 'accept-encoding'
export const headerVary = 'vary'
export const headerTrailer = 'trailer'
export const headerGrpcTimeout = 'grpc-timeout'
export const headerGrpcEncoding = 'grpc-encoding'
export const headerGrpcAcceptEncoding = 'grpc-accept-encoding'
export const headerGrpcStatus = 'grpc-status'
export const headerGrpcMessage = 'grpc-message'
export const headerGrpcStatusDetailsBin = 'grpc-status-details-bin'
export const headerConnectProtocolVersion = 'connect-protocol-version'
export const headerConnectTimeout = 'connect-timeout-ms'
export const headerConnectContentEncoding = 'connect-content-encoding'
export const headerConnectAcceptEncoding = 'connect-accept-encoding'
/** Connect unary trailers travel as headers with this prefix. */
export const headerTrailerPrefix = 'trailer-'

/** Copies metadata into headers, skipping protocol headers and emitting `-bin` values unpadded. */
export function copyMetadata(target: Record<string, string>, metadata: Metadata | undefined): void {
  if (metadata === undefined || metadata.size === 0) return
  for (const [name, value] of metadata) {
    if (isReservedHeader(name) || !isSendableHeader(name, value)) continue
    const wireValue = name.endsWith('-bin') ? unpadBinaryHeader(value) : value
    target[name] = Object.hasOwn(target, name) ? `${target[name]}, ${wireValue}` : wireValue
  }
}
