import { GrpcError } from './grpc-error.js'
import { Status } from './status.js'

const grpcTimeoutPattern = /^(\d{1,8})([HMSmun])$/
const unitMillis: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }

/** `grpc-timeout`: 1–8 digits and a unit (H M S m u n). Absent is `undefined`; malformed is INVALID_ARGUMENT. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = grpcTimeoutPattern.exec(value)
  if (match === null) {
    throw new GrpcError(Status.INVALID_ARGUMENT, `invalid grpc-timeout "${value}": want 1 to 8 digits and a unit`)
  }
  return Number(match[1]) * unitMillis[match[2]]
}

/** `connect-timeout-ms`: 1–10 digits of milliseconds. */
export function parseConnectTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,10}$/.test(value)) {
    throw new GrpcError(Status.INVALID_ARGUMENT, `invalid connect-timeout-ms "${value}": want 1 to 10 digits`)
  }
  return Number(value)
}
