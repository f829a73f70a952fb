import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import { createError } from '@middy/util'
import type fc from 'fast-check'
import protobuf from 'protobufjs'
import { GrpcError, Status, grpcFraming, grpcRouter, type GrpcFramingOptions, type RpcCall } from '../../src/index.js'
import { checkLambdaResult, createLambdaContext, toLambdaEvent } from '../../src/dev-server/index.js'
import type { EventShape } from '../../src/event/shape.js'
import { readFrames } from '../support/frames.js'

export const fuzzRoot = protobuf.loadSync(join(dirname(fileURLToPath(import.meta.url)), 'fuzz.proto'))
export const FuzzService = fuzzRoot.lookupService('fuzz.v1.FuzzService')
export const Node = fuzzRoot.lookupType('fuzz.v1.Node')

export const shapes: EventShape[] = ['v1', 'v2', 'url', 'alb', 'alb-multi']

/** Put into every internal error: none of it may ever reach a client. */
export const secret = 'SECRET-detail at /work/main/src/secret.ts:42:7'

/** Fuzz runs: thousands of cases per property, bounded in time so that the whole suite stays under a minute. */
export const runs = (numRuns: number, interruptAfterTimeLimit = 8000): fc.Parameters<unknown> => ({
  numRuns,
  interruptAfterTimeLimit,
  markInterruptAsFailure: false,
})

/** How Fail fails, chosen by the request's `name`. */
function fail(name: string): never | object | null {
  switch (name) {
    case 'grpc':
      throw new GrpcError(Status.NOT_FOUND, 'no such node', { metadata: { 'x-error-meta': 'present' } })
    case 'http-404':
      throw createError(404, 'missing node')
    case 'http-500':
      throw createError(500, secret)
    case 'string':
      throw secret
    case 'null':
      throw null
    case 'undefined':
      throw undefined
    case 'object':
      throw { message: secret, stack: secret }
    case 'getter':
      throw {
        get statusCode(): number {
          throw new Error(secret)
        },
      }
    case 'bad-reply':
      return { child: 'not a message', name: 42 }
    case 'null-reply':
      return null
    default:
      throw new Error(secret)
  }
}

/** Request headers `x-echo-*` come back as response headers, `x-trailer-*` as trailers. */
function echoMetadata(grpc: RpcCall): void {
  for (const [name, value] of grpc.requestHeader) {
    if (name.startsWith('x-echo-')) grpc.responseHeader.append(name, value)
    if (name.startsWith('x-trailer-')) grpc.responseTrailer.append(name, value)
  }
}

export const fuzzHandlers = grpcRouter({
  async Echo({ message, grpc }) {
    echoMetadata(grpc)
    return message
  },
  Lookup: async ({ message }) => message,
  async *Stream({ message }) {
    for (const child of message.children) yield child
    if (message.name !== '') fail(message.name)
  },
  async Fail({ message, grpc }) {
    grpc.responseHeader.set('x-fail-header', 'set before failing')
    grpc.responseTrailer.set('x-fail-trailer', 'set before failing')
    return fail(message.name)
  },
})

export function createFuzzLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy()
    .use(grpcFraming({ service: FuzzService, logger: false, ...options }))
    .handler(fuzzHandlers)
}

export interface FuzzRequest {
  method?: string
  path?: string
  query?: string
  headers?: [string, string][]
  body?: Uint8Array
}

/**
 * The event the front door of `shape` delivers. The emulator passes `+json` bodies as text, as HTTP APIs do; a body
 * that is not UTF-8 (an enveloped JSON message has a binary length prefix) goes base64 instead, so that the bytes
 * the Lambda sees are the bytes the test sent.
 */
export function httpEvent(shape: EventShape, request: FuzzRequest): any {
  const url = (request.path ?? '/fuzz.v1.FuzzService/Echo') + (request.query === undefined ? '' : `?${request.query}`)
  const body = Buffer.from(request.body ?? new Uint8Array(0))
  const event: any = toLambdaEvent(
    { method: request.method ?? 'POST', url, headers: request.headers ?? [], body },
    shape,
  )
  if (body.byteLength > 0 && event.isBase64Encoded === false && !Buffer.from(body.toString('utf8')).equals(body)) {
    event.body = body.toString('base64')
    event.isBase64Encoded = true
  }
  return event
}

export const lambdaContext = () => createLambdaContext(30_000)

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts)
}

// ---- what a well-formed response looks like ----

export type Family = 'grpc-web' | 'grpc-web-text' | 'grpc' | 'connect' | 'connect-stream' | 'twirp'

export interface ReadResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** What the protocol said: a status code (gRPC family, Connect), or undefined for a non-RPC answer. */
  code?: number
  /** Twirp and Connect error code names. */
  codeName?: string
  /** Messages of a successful call (bare or unframed). */
  messages: Buffer[]
  nonRpc: boolean
}

const connectCodeNames = [
  'ok',
  'canceled',
  'unknown',
  'invalid_argument',
  'deadline_exceeded',
  'not_found',
  'already_exists',
  'permission_denied',
  'resource_exhausted',
  'failed_precondition',
  'aborted',
  'out_of_range',
  'unimplemented',
  'internal',
  'unavailable',
  'data_loss',
  'unauthenticated',
]
const connectHttp = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]
const twirpHttp = [200, 408, 500, 400, 408, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401]

/** Anything that betrays internals: stack lines, file paths, runtime error texts, the handlers' secret. */
const leak =
  /\n\s+at |\bat [^ ]+ \(|\/work\/|node_modules|\.[jt]s:\d|file:\/\/|SECRET|TypeError|RangeError|ReferenceError|call stack|Cannot read|is not a function|is not defined|\[object /

export function assertNoLeak(text: string, where: string): void {
  const match = leak.exec(text)
  if (match !== null)
    throw new Error(`${where} leaks internals (${JSON.stringify(match[0])}): ${JSON.stringify(text.slice(0, 500))}`)
}

function fail2(message: string, response: unknown): never {
  throw new Error(`${message}\nresponse: ${JSON.stringify(response, null, 1)?.slice(0, 2000)}`)
}

/** Splits a body into envelopes; throws when it is not an exact sequence of them. */
function parseTrailerBlock(text: string, response: unknown): Record<string, string> {
  if (!text.endsWith('\r\n') && text !== '') fail2('trailer block does not end with CRLF', response)
  const fields: Record<string, string> = Object.create(null)
  for (const line of text.split('\r\n').slice(0, -1)) {
    const match = /^([!#$%&'*+.^_`|~0-9a-z-]+): ([^\r\n\0]*)$/.exec(line)
    if (match === null) fail2(`malformed trailer line ${JSON.stringify(line)}`, response)
    if (fields[match[1]] !== undefined) fail2(`repeated trailer ${match[1]}`, response)
    fields[match[1]] = match[2]
  }
  return fields
}

function checkGrpcStatus(fields: Record<string, string | undefined>, response: unknown): number {
  const status = fields['grpc-status']
  if (status === undefined || !/^(0|[1-9]\d?)$/.test(status) || Number(status) > 16) {
    fail2(`bad grpc-status ${JSON.stringify(status)}`, response)
  }
  const message = fields['grpc-message']
  if (message !== undefined && !/^[\x20-\x7e]*$/.test(message)) fail2('grpc-message is not percent-encoded', response)
  if (status === '0' && message !== undefined) fail2('grpc-message with status 0', response)
  return Number(status)
}

/**
 * Checks that a Lambda result is one the front door of `shape` accepts as it is, and that it is a well-formed
 * response of `family` (or, when `allowNonRpc`, a plain HTTP 4xx / 204 answer), without leaked internals.
 */
export function assertWellFormed(
  result: unknown,
  shape: EventShape,
  family: Family | undefined,
  allowNonRpc: boolean,
): ReadResponse {
  const check = checkLambdaResult(result, shape)
  if (!check.ok) fail2(`the ${shape} front door rejects the result: ${check.reason}`, result)
  if (check.notes.length > 0) fail2(`front door notes: ${check.notes.join('; ')}`, result)
  if (typeof (result as { statusCode?: unknown }).statusCode !== 'number') fail2('no statusCode', result)
  const { status, body } = check.response
  const headers: Record<string, string> = Object.create(null)
  for (const [name, value] of check.response.headers) {
    if (name !== name.toLowerCase()) fail2(`header name ${name} is not lower-case`, result)
    if (/[\r\n\0]/.test(value) || /[^!#$%&'*+.^_`|~0-9a-z-]/.test(name))
      fail2(`header ${JSON.stringify(name)} is not a legal field`, result)
    if (headers[name] !== undefined) fail2(`repeated header ${name}`, result)
    headers[name] = value
    assertNoLeak(value, `header ${name}`)
  }
  const contentType = headers['content-type'] ?? ''
  const read: ReadResponse = { status, headers, body, messages: [], nonRpc: false }

  const isRpcType = /^application\/(grpc|connect\+|proto|json|protobuf)/.test(contentType)
  if (!isRpcType || (family === undefined && contentType === '')) {
    // A plain HTTP answer to a request that is not an RPC.
    if (!allowNonRpc) fail2(`expected a ${family} response, got a plain HTTP ${status}`, result)
    if (!(status === 204 || (status >= 400 && status < 500))) fail2(`plain answer with status ${status}`, result)
    if (contentType !== '' && contentType !== 'text/plain; charset=utf-8')
      fail2(`plain answer with ${contentType}`, result)
    assertNoLeak(body.toString('utf8'), 'plain body')
    read.nonRpc = true
    return read
  }

  const actual: Family = contentType.startsWith('application/grpc-web-text')
    ? 'grpc-web-text'
    : contentType.startsWith('application/grpc-web')
      ? 'grpc-web'
      : contentType.startsWith('application/grpc')
        ? 'grpc'
        : contentType.startsWith('application/connect+')
          ? 'connect-stream'
          : family !== undefined
            ? family
            : status !== 200 && /"msg"/.test(body.toString('utf8'))
              ? 'twirp'
              : 'connect'
  if (family !== undefined && actual !== family) fail2(`expected a ${family} response, got ${actual}`, result)

  switch (actual) {
    case 'grpc-web':
    case 'grpc-web-text': {
      if (status !== 200) fail2('gRPC-Web status is not 200', result)
      let bytes: Buffer = body
      if (actual === 'grpc-web-text') {
        const text = body.toString('latin1')
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
          fail2('grpc-web-text body is not base64', result)
        bytes = Buffer.from(text, 'base64')
      }
      const frames = readFrames(bytes)
      const last = frames.at(-1)
      if (last === undefined || last.flags !== 0x80) fail2('gRPC-Web body does not end with a trailer frame', result)
      for (const item of frames.slice(0, -1))
        if (item.flags !== 0 && item.flags !== 1) fail2(`bad frame flags ${item.flags}`, result)
      const trailerText = last.payload.toString('latin1')
      assertNoLeak(trailerText, 'trailer frame')
      read.code = checkGrpcStatus(parseTrailerBlock(trailerText, result), result)
      read.messages = frames.slice(0, -1).map((item) => item.payload)
      if (headers['grpc-status'] !== undefined)
        fail2('gRPC-Web status in the headers as well as the trailer frame', result)
      return read
    }
    case 'grpc': {
      if (status !== 200) fail2('gRPC status is not 200', result)
      read.code = checkGrpcStatus(headers, result)
      if (read.code !== 0 && body.byteLength > 0) fail2('a gRPC error must be Trailers-Only', result)
      read.messages = readFrames(body).map((item) => item.payload)
      return read
    }
    case 'connect-stream': {
      if (status !== 200) fail2('Connect streaming status is not 200', result)
      const frames = readFrames(body)
      const last = frames.at(-1)
      if (last === undefined || (last.flags & 0x02) === 0) fail2('no end-stream frame', result)
      for (const item of frames.slice(0, -1))
        if (item.flags !== 0 && item.flags !== 1) fail2(`bad frame flags ${item.flags}`, result)
      const text = last.payload.toString('utf8')
      assertNoLeak(text, 'end-stream frame')
      const end = JSON.parse(text) as {
        error?: { code?: unknown; message?: unknown }
        metadata?: Record<string, string[]>
      }
      for (const key of Object.keys(end))
        if (key !== 'error' && key !== 'metadata') fail2(`end-stream key ${key}`, result)
      if (end.error === null) fail2('"error": null', result)
      read.code = 0
      if (end.error !== undefined) {
        read.code = checkConnectErrorJson(end.error, result)
        read.codeName = String(end.error.code)
      }
      read.messages = frames.slice(0, -1).map((item) => item.payload)
      return read
    }
    case 'connect': {
      if (status === 200) {
        read.code = 0
        read.messages = [body]
        return read
      }
      if (contentType !== 'application/json') fail2('Connect error without application/json', result)
      const text = body.toString('utf8')
      assertNoLeak(text, 'Connect error body')
      const json = JSON.parse(text)
      read.code = checkConnectErrorJson(json, result)
      read.codeName = json.code
      const expected = connectHttp[read.code]
      if (status !== expected && !(status === 404 && read.code === 12))
        fail2(`HTTP ${status} for code ${read.codeName}`, result)
      return read
    }
    case 'twirp': {
      if (status === 200) {
        read.code = 0
        read.messages = [body]
        return read
      }
      if (contentType !== 'application/json') fail2('Twirp error without application/json', result)
      const text = body.toString('utf8')
      assertNoLeak(text, 'Twirp error body')
      const json = JSON.parse(text)
      for (const key of Object.keys(json))
        if (!['code', 'msg', 'meta'].includes(key)) fail2(`Twirp error key ${key}`, result)
      if (typeof json.msg !== 'string') fail2('Twirp msg is not a string', result)
      if (json.meta !== undefined) {
        for (const value of Object.values(json.meta))
          if (typeof value !== 'string') fail2('Twirp meta value is not a string', result)
      }
      read.codeName = json.code
      if (json.code === 'bad_route') {
        if (status !== 404) fail2('bad_route is not 404', result)
        read.code = 12
      } else if (json.code === 'malformed') {
        if (status !== 400) fail2('malformed is not 400', result)
        read.code = 3
      } else {
        read.code = connectCodeNames.indexOf(json.code)
        if (read.code <= 0) fail2(`unknown Twirp code ${json.code}`, result)
        if (status !== twirpHttp[read.code]) fail2(`HTTP ${status} for Twirp ${json.code}`, result)
      }
      return read
    }
  }
}

function checkConnectErrorJson(
  error: { code?: unknown; message?: unknown; details?: unknown },
  response: unknown,
): number {
  if (typeof error !== 'object' || error === null) fail2('Connect error is not an object', response)
  for (const key of Object.keys(error))
    if (!['code', 'message', 'details'].includes(key)) fail2(`Connect error key ${key}`, response)
  const code = connectCodeNames.indexOf(String(error.code))
  if (code <= 0) fail2(`bad Connect code ${String(error.code)}`, response)
  if (error.message !== undefined && typeof error.message !== 'string')
    fail2('Connect message is not a string', response)
  return code
}

// ---- request generators ----

export const contentTypes: { family: Family; contentType: string; path?: string }[] = [
  { family: 'grpc-web', contentType: 'application/grpc-web' },
  { family: 'grpc-web', contentType: 'application/grpc-web+proto' },
  { family: 'grpc-web', contentType: 'application/grpc-web+json' },
  { family: 'grpc-web-text', contentType: 'application/grpc-web-text' },
  { family: 'grpc-web-text', contentType: 'application/grpc-web-text+json' },
  { family: 'grpc', contentType: 'application/grpc' },
  { family: 'grpc', contentType: 'application/grpc+json' },
  { family: 'connect', contentType: 'application/proto' },
  { family: 'connect', contentType: 'application/json' },
  { family: 'connect-stream', contentType: 'application/connect+proto', path: '/fuzz.v1.FuzzService/Stream' },
  { family: 'connect-stream', contentType: 'application/connect+json', path: '/fuzz.v1.FuzzService/Stream' },
  { family: 'twirp', contentType: 'application/protobuf', path: '/twirp/fuzz.v1.FuzzService/Echo' },
  { family: 'twirp', contentType: 'application/json', path: '/twirp/fuzz.v1.FuzzService/Echo' },
]

export const methodPaths = [
  '/fuzz.v1.FuzzService/Echo',
  '/fuzz.v1.FuzzService/Fail',
  '/fuzz.v1.FuzzService/Stream',
  '/fuzz.v1.FuzzService/Lookup',
  '/fuzz.v1.FuzzService/Nope',
  '/stage/fuzz.v1.FuzzService/Echo',
]

export const framed = (family: Family) => family !== 'connect' && family !== 'twirp'

/** Text of a body for the protocols that carry it as text (grpc-web-text). */
export function asRequestBody(family: Family, bytes: Uint8Array): Uint8Array {
  return family === 'grpc-web-text' ? Buffer.from(Buffer.from(bytes).toString('base64')) : bytes
}
