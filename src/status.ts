/** gRPC status codes, with gRPC's own names. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const

export type StatusCode = (typeof Status)[keyof typeof Status]
export type StatusName = keyof typeof Status

const statusNames = Object.keys(Status) as StatusName[]

export function isStatusCode(value: unknown): value is StatusCode {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 16
}

/** `NOT_FOUND` for 5. */
export function statusName(code: StatusCode): StatusName {
  return statusNames[code]
}

/** Connect's snake_case name: `not_found` for 5; Connect spells CANCELLED `canceled`. */
export function connectCodeName(code: StatusCode): string {
  return code === Status.CANCELLED ? 'canceled' : statusNames[code].toLowerCase()
}

// Index = status code. The Connect protocol's HTTP status for each code (also GrpcError.statusCode).
const connectHttpStatuses = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]
// Index = status code. Twirp's HTTP status for each error code (it differs from Connect's for 1, 4 and 9).
const twirpHttpStatuses = [200, 408, 500, 400, 408, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401]

export function codeToHttpStatus(code: StatusCode): number {
  return connectHttpStatuses[code]
}

export function twirpHttpStatus(code: StatusCode): number {
  return twirpHttpStatuses[code]
}

/**
 * Application errors that carry an HTTP status (Middy createError, http-errors, @middy/validator) map by the
 * inverse of the Connect table (the README's error-mapping section lists it).
 */
export function codeFromHttpStatus(httpStatus: number): StatusCode {
  switch (httpStatus) {
    case 400:
      return Status.INVALID_ARGUMENT
    case 401:
      return Status.UNAUTHENTICATED
    case 403:
      return Status.PERMISSION_DENIED
    case 404:
      return Status.NOT_FOUND
    case 409:
      return Status.ALREADY_EXISTS
    case 412:
      return Status.FAILED_PRECONDITION
    case 429:
      return Status.RESOURCE_EXHAUSTED
    case 499:
      return Status.CANCELLED
    case 500:
      return Status.INTERNAL
    case 501:
      return Status.UNIMPLEMENTED
    case 502:
    case 503:
      return Status.UNAVAILABLE
    case 504:
      return Status.DEADLINE_EXCEEDED
    default:
      return Status.UNKNOWN
  }
}
