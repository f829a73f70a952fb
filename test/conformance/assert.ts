import type { ClientResult } from './client.js'
import { RequestInfo, anyTypeName, canonicalAny, lookupAnyType, type AnyMessage, type HeaderMessage } from './schema.js'
import {
  readRequestInfo,
  type ConformanceCase,
  type ExpectedError,
  type Payload,
  type RequestInfoValue,
} from './suites.js'

/** The reference runner lets an echoed timeout be this much below what the client sent. */
const timeoutGraceMs = 500

const codeNames = [
  'OK',
  'CANCELED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]
const codeText = (code: number) => `${code} (${codeNames[code] ?? '?'})`

/** Splits comma-joined values, trimming one space a library may have put around each comma. */
function canonicalValues(values: string[]): string[] {
  const out: string[] = []
  for (const value of values) {
    const parts = value.split(',')
    parts.forEach((part, i) => {
      let p = part
      if (i > 0 && p.startsWith(' ')) p = p.slice(1)
      if (i < parts.length - 1 && p.endsWith(' ')) p = p.slice(0, -1)
      out.push(p)
    })
  }
  return out
}

function checkHeaders(what: string, expected: HeaderMessage[], actual: HeaderMessage[]): string[] {
  const errors: string[] = []
  const actualMap = new Map<string, string[]>()
  for (const h of actual) actualMap.set(h.name.toLowerCase(), h.value)
  for (const h of expected) {
    const name = h.name.toLowerCase()
    const values = actualMap.get(name)
    if (values === undefined) {
      errors.push(`actual ${what} missing ${JSON.stringify(name)}`)
      continue
    }
    const want = canonicalValues(h.value)
    const got = canonicalValues(values)
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      errors.push(
        `${what} has incorrect values for ${JSON.stringify(name)}: expected ${JSON.stringify(h.value)}, got ${JSON.stringify(got)}`,
      )
    }
  }
  return errors
}

function mergeHeaders(a: HeaderMessage[], b: HeaderMessage[]): HeaderMessage[] {
  const merged = new Map<string, string[]>()
  for (const h of a) merged.set(h.name.toLowerCase(), h.value)
  for (const h of b) merged.set(h.name.toLowerCase(), [...(merged.get(h.name.toLowerCase()) ?? []), ...h.value])
  return [...merged].map(([name, value]) => ({ name, value }))
}

function anyText(any: AnyMessage): string {
  try {
    return JSON.stringify(canonicalAny(any))
  } catch (error) {
    return `<undecodable ${anyTypeName(any)}: ${(error as Error).message}>`
  }
}

function checkRequestInfo(
  expected: RequestInfoValue | undefined,
  actual: RequestInfoValue | undefined,
  verifyHeaders: boolean,
): string[] {
  const errors: string[] = []
  if (verifyHeaders) {
    errors.push(...checkHeaders('request headers', expected?.requestHeaders ?? [], actual?.requestHeaders ?? []))
    if (expected?.timeoutMs !== undefined) {
      if (actual?.timeoutMs === undefined) {
        errors.push(`server did not echo back a timeout but one was expected (${expected.timeoutMs} ms)`)
      } else {
        const max = expected.timeoutMs
        const min = Math.max(0, max - timeoutGraceMs)
        if (actual.timeoutMs > max || actual.timeoutMs < min) {
          errors.push(
            `server echoed back a timeout (${actual.timeoutMs} ms) that did not match expected (${expected.timeoutMs} ms)`,
          )
        }
      }
    } else if (actual?.timeoutMs !== undefined) {
      errors.push(`server echoed back a timeout (${actual.timeoutMs} ms) but none was expected`)
    }
    const wantQuery = expected?.connectGetInfo?.queryParams ?? []
    const gotQuery = actual?.connectGetInfo?.queryParams ?? []
    if (wantQuery.length > 0 && gotQuery.length > 0)
      errors.push(...checkHeaders('request query params', wantQuery, gotQuery))
  }
  const want = expected?.requests ?? []
  const got = actual?.requests ?? []
  if (want.length !== got.length)
    errors.push(`expecting ${want.length} request messages to be described but instead got ${got.length}`)
  for (let i = 0; i < want.length && i < got.length; i++) {
    if (lookupAnyType(got[i].type_url) === undefined) {
      errors.push(`request #${i + 1}: unknown type ${JSON.stringify(got[i].type_url)}`)
      continue
    }
    const w = anyText(want[i])
    const g = anyText(got[i])
    if (w !== g) errors.push(`request #${i + 1}: did not survive round-trip:\n  wanted ${w}\n  got    ${g}`)
  }
  return errors
}

function checkPayloads(expected: Payload[], actual: Payload[]): string[] {
  const errors: string[] = []
  if (expected.length !== actual.length)
    errors.push(`expecting ${expected.length} response messages but instead got ${actual.length}`)
  for (let i = 0; i < expected.length && i < actual.length; i++) {
    const want = Buffer.from(expected[i].data)
    const got = Buffer.from(actual[i].data)
    if (!want.equals(got))
      errors.push(`response #${i + 1}: expecting data ${want.toString('hex')}, got ${got.toString('hex')}`)
    errors.push(...checkRequestInfo(expected[i].requestInfo, actual[i].requestInfo, i === 0))
  }
  return errors
}

function checkError(
  expected: ExpectedError | undefined,
  actual: ClientResult['error'],
  otherCodes: number[],
): string[] {
  if (expected === undefined && actual === undefined) return []
  if (expected === undefined)
    return [`received an unexpected error: code ${codeText(actual!.code)}, message ${JSON.stringify(actual!.message)}`]
  if (actual === undefined) return ['expecting an error but received none']
  const errors: string[] = []
  if (expected.code !== actual.code && !otherCodes.includes(actual.code)) {
    const allowed = [expected.code, ...otherCodes].map(codeText).join(' or ')
    errors.push(
      `actual error {code: ${codeText(actual.code)}, message: ${JSON.stringify(actual.message)}} does not match expected code ${allowed}`,
    )
  }
  if (expected.message !== undefined && expected.message !== actual.message) {
    errors.push(
      `actual error {code: ${codeText(actual.code)}, message: ${JSON.stringify(actual.message)}} does not match expected message ${JSON.stringify(expected.message)}`,
    )
  }
  if (expected.details.length !== actual.details.length) {
    errors.push(`actual error contain ${actual.details.length} details; expecting ${expected.details.length}`)
  }
  const requestInfoName = RequestInfo.fullName.slice(1)
  for (let i = 0; i < expected.details.length && i < actual.details.length; i++) {
    const want = expected.details[i]
    const got = actual.details[i]
    if (anyTypeName(want) === requestInfoName && anyTypeName(got) === requestInfoName) {
      let gotInfo: RequestInfoValue
      try {
        gotInfo = readRequestInfo(RequestInfo.decode(got.value))
      } catch {
        errors.push(`unable to unmarshal request info from actual error detail #${i + 1}`)
        continue
      }
      errors.push(...checkRequestInfo(readRequestInfo(RequestInfo.decode(want.value)), gotInfo, true))
    } else if (anyText(want) !== anyText(got)) {
      errors.push(
        `actual error detail #${i + 1} does not match expected error detail:\n  wanted ${anyText(want)}\n  got    ${anyText(got)}`,
      )
    }
  }
  return errors
}

/** The reference runner's assertion of a result against the expected response, plus the client's wire feedback. */
export function assertResult(c: ConformanceCase, actual: ClientResult): string[] {
  const expected = c.expected
  const errors: string[] = []
  errors.push(...checkError(expected.error, actual.error, c.otherAllowedCodes))
  errors.push(...checkPayloads(expected.payloads, actual.payloads))
  const oneReply = c.streamType === 'STREAM_TYPE_UNARY' || c.streamType === 'STREAM_TYPE_CLIENT_STREAM'
  if (expected.payloads.length === 0 && expected.error !== undefined && oneReply) {
    // A unary (or client-stream) error may carry the metadata as headers or trailers: either placement is accepted.
    const metadataErrors = [
      ...checkHeaders('response headers', expected.responseHeaders, actual.responseHeaders),
      ...checkHeaders('response trailers', expected.responseTrailers, actual.responseTrailers),
    ]
    if (metadataErrors.length > 0) {
      const merged = mergeHeaders(expected.responseHeaders, expected.responseTrailers)
      const inHeaders = checkHeaders('response metadata', merged, actual.responseHeaders)
      const inTrailers = checkHeaders('response metadata', merged, actual.responseTrailers)
      if (inHeaders.length !== 0 && inTrailers.length !== 0) errors.push(...metadataErrors)
    }
  } else {
    errors.push(...checkHeaders('response headers', expected.responseHeaders, actual.responseHeaders))
    errors.push(...checkHeaders('response trailers', expected.responseTrailers, actual.responseTrailers))
  }
  if (expected.httpStatusCode !== undefined && expected.httpStatusCode !== actual.httpStatusCode) {
    errors.push(
      `actual HTTP status code does not match: wanted ${expected.httpStatusCode}; got ${actual.httpStatusCode}`,
    )
  }
  errors.push(...actual.feedback)
  return errors
}
