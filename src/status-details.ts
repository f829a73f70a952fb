import protobuf from 'protobufjs/light.js'
import type { ErrorDetail } from './grpc-error.js'
import type { StatusCode } from './status.js'

/** google.rpc.Status as carried in `grpc-status-details-bin`. */
export interface StatusDetails {
  code: StatusCode
  message: string
  details: ErrorDetail[]
}

const typeUrlPrefix = 'type.googleapis.com/'

// Declared here so that no dependency on google-protobuf or a generated module is needed; built on first use
// because most calls never fail.
let statusType: protobuf.Type | undefined

function getStatusType(): protobuf.Type {
  statusType ??= protobuf.Root.fromJSON({
    nested: {
      google: {
        nested: {
          protobuf: {
            nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
          },
          rpc: {
            nested: {
              Status: {
                fields: {
                  code: { type: 'int32', id: 1 },
                  message: { type: 'string', id: 2 },
                  details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
                },
              },
            },
          },
        },
      },
    },
  }).lookupType('google.rpc.Status')
  return statusType
}

export function encodeStatusDetails({ code, message, details }: StatusDetails): Uint8Array {
  const type = getStatusType()
  return type
    .encode({
      code,
      message,
      details: details.map((detail) => ({ type_url: typeUrlPrefix + detail.type, value: detail.value })),
    })
    .finish()
}

export function decodeStatusDetails(bytes: Uint8Array): StatusDetails {
  const decoded = getStatusType().decode(bytes) as unknown as {
    code: number
    message: string
    details: { type_url: string; value: Uint8Array }[]
  }
  return {
    code: decoded.code as StatusCode,
    message: decoded.message,
    details: decoded.details.map((any) => ({
      type: any.type_url.slice(any.type_url.lastIndexOf('/') + 1),
      value: any.value,
    })),
  }
}
