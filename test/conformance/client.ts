import * as zlib from 'node:zlib'
import type protobuf from 'protobufjs'
import {
  checkLambdaResult,
  createLambdaContext,
  functionErrorResponse,
  toLambdaEvent,
  type OutgoingHttpResponse,
} from '../../src/dev-server/index.js'
import type { EventShape } from '../../src/event/shape.js'
import {
  AnyType,
  ConformanceService,
  StatusType,
  anyTypeName,
  conformanceRoot,
  typeUrlPrefix,
  type AnyMessage,
  type HeaderMessage,
} from './schema.js'
import {
  readPayload,
  type ConformanceCase,
  type ExpectedError,
  type MessageContents,
  type Payload,
  type RawRequest,
} from './suites.js'
import { checkNoDuplicateKeys, isValidFieldName, isValidFieldValue, parseRawBase64 } from './wire.js'
import { frame } from '../support/frames.js'

/**
 * The client side of the replay: builds the HTTP request the reference client (connect-go) would send for a case,
 * delivers it to the Lambda as an event of the given shape, and reads the response as that client would, noting
 * every deviation its wire checks (`wire_details.go`) report as feedback.
 */

export interface HttpRequest {
  method: string
  url: string
  headers: [string, string][]
  body: Uint8Array
}

/** What the reference client reports (ClientResponseResult), plus the wire-check feedback. */
export interface ClientResult {
  responseHeaders: HeaderMessage[]
  responseTrailers: HeaderMessage[]
  payloads: Payload[]
  error?: ExpectedError & { message: string }
  httpStatusCode: number
  feedback: string[]
}

export type LambdaFunction = (event: any, context: any) => Promise<unknown>

const codeNames = [
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
const Code = { UNKNOWN: 2, INTERNAL: 13, UNIMPLEMENTED: 12, UNAVAILABLE: 14, UNAUTHENTICATED: 16, PERMISSION_DENIED: 7 }

/** The code a client infers from an HTTP status without an RPC status (gRPC's table, as connect-go uses it). */
export function httpToCode(status: number): number {
  switch (status) {
    case 400:
      return Code.INTERNAL
    case 401:
      return Code.UNAUTHENTICATED
    case 403:
      return Code.PERMISSION_DENIED
    case 404:
      return Code.UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE
    default:
      return Code.UNKNOWN
  }
}

/** `X-Conformance-Test`: Go's net/http sends header names in canonical form. */
function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
}

const userAgent = 'middy-grpc-conformance-replay'

// ---------------------------------------------------------------------------------------------------- requests

function methodTypes(c: ConformanceCase): { request: protobuf.Type; response: protobuf.Type } {
  const method = ConformanceService.methods[c.method]
  if (method === undefined) {
    // Not declared in our subset: the server answers before any message is decoded.
    const any = conformanceRoot.lookupType('google.protobuf.Any')
    return { request: any, response: any }
  }
  method.resolve()
  return { request: method.resolvedRequestType!, response: method.resolvedResponseType! }
}

function encodeRequestMessage(c: ConformanceCase, any: AnyMessage): Uint8Array {
  if (c.codec === 'proto') return any.value
  const type = conformanceRoot.lookupType(anyTypeName(any))
  const json = type.toObject(type.decode(any.value), { json: true, longs: String, enums: String, bytes: String })
  return Buffer.from(JSON.stringify(json))
}

/** Go's url.QueryEscape. */
function queryEscape(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c
    else if (c === ' ') out += '+'
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Go's url.Values.Encode: keys sorted. */
function encodeQuery(params: [string, string][]): string {
  return [...params]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join('&')
}

/**
 * The request of a case, built as connect-go builds it: Connect unary POST or GET, Connect streaming, or gRPC-Web;
 * headers in Go's canonical case, the custom request headers one line per value.
 */
export function buildRequest(c: ConformanceCase, deadline: number | undefined): HttpRequest {
  if (c.rawRequest !== undefined) return buildRawRequest(c.rawRequest)
  const headers: [string, string][] = []
  const path = `/${c.service}/${c.method}`
  const message = c.requestMessages[0] === undefined ? new Uint8Array(0) : encodeRequestMessage(c, c.requestMessages[0])
  const gzip = c.compression === 'gzip'
  // Every request message in its envelope, each compressed on its own, as a streaming client sends them.
  // A unary or server-stream case without messages still sends one empty message.
  const streamsRequests =
    c.streamType === 'STREAM_TYPE_CLIENT_STREAM' || c.streamType === 'STREAM_TYPE_HALF_DUPLEX_BIDI_STREAM'
  const envelopes = () =>
    Buffer.concat(
      (streamsRequests ? c.requestMessages.map((any) => encodeRequestMessage(c, any)) : [message]).map((data) =>
        gzip ? frame(1, zlib.gzipSync(data)) : frame(0, data),
      ),
    )
  const remainingMs = deadline === undefined ? undefined : Math.max(0, deadline - Date.now())
  const custom = () => {
    for (const header of c.requestHeaders)
      for (const value of header.value) headers.push([canonicalHeaderName(header.name), value])
  }

  if (c.protocol === 'grpc-web') {
    headers.push(['Content-Type', `application/grpc-web+${c.codec}`], ['User-Agent', userAgent])
    if (gzip) headers.push(['Grpc-Encoding', 'gzip'], ['Grpc-Accept-Encoding', 'gzip'])
    // connect-go sends the remaining time in the largest unit that keeps 8 digits: microseconds for these tests.
    if (remainingMs !== undefined) headers.push(['Grpc-Timeout', `${Math.floor(remainingMs * 1000)}u`])
    custom()
    return { method: 'POST', url: path, headers, body: envelopes() }
  }

  const timeout =
    remainingMs === undefined ? [] : [['Connect-Timeout-Ms', String(Math.floor(remainingMs))] as [string, string]]
  if (c.streamType !== 'STREAM_TYPE_UNARY') {
    headers.push(
      ['Content-Type', `application/connect+${c.codec}`],
      ['Connect-Protocol-Version', '1'],
      ['User-Agent', userAgent],
    )
    if (gzip) headers.push(['Connect-Content-Encoding', 'gzip'], ['Connect-Accept-Encoding', 'gzip'])
    headers.push(...timeout)
    custom()
    return { method: 'POST', url: path, headers, body: envelopes() }
  }

  if (c.useGet) {
    const params: [string, string][] = [
      ['connect', 'v1'],
      ['encoding', c.codec],
    ]
    let value: Uint8Array = message
    if (gzip) {
      value = zlib.gzipSync(message)
      params.push(['compression', 'gzip'])
    }
    if (c.codec === 'proto' || gzip) {
      params.push(['base64', '1'], ['message', Buffer.from(value).toString('base64url')])
    } else {
      params.push(['message', Buffer.from(value).toString('utf8')])
    }
    headers.push(['User-Agent', userAgent])
    if (gzip) headers.push(['Accept-Encoding', 'gzip'])
    headers.push(...timeout)
    custom()
    return { method: 'GET', url: `${path}?${encodeQuery(params)}`, headers, body: new Uint8Array(0) }
  }

  headers.push(['Content-Type', `application/${c.codec}`], ['Connect-Protocol-Version', '1'], ['User-Agent', userAgent])
  if (gzip) headers.push(['Content-Encoding', 'gzip'], ['Accept-Encoding', 'gzip'])
  headers.push(...timeout)
  custom()
  return { method: 'POST', url: path, headers, body: gzip ? zlib.gzipSync(message) : message }
}

function compress(data: Uint8Array, compression: string | undefined): Uint8Array {
  switch (compression) {
    case undefined:
    case 'COMPRESSION_UNSPECIFIED':
    case 'COMPRESSION_IDENTITY':
      return data
    case 'COMPRESSION_GZIP':
      return zlib.gzipSync(data)
    case 'COMPRESSION_DEFLATE':
      return zlib.deflateSync(data)
    case 'COMPRESSION_BR':
      return zlib.brotliCompressSync(data)
    case 'COMPRESSION_ZSTD': {
      const zstd = (zlib as unknown as { zstdCompressSync?: (d: Uint8Array) => Uint8Array }).zstdCompressSync
      // Node < 22.15 has no zstd; the suites that ask for it are rejected by their header before any decompression.
      return zstd === undefined ? data : zstd(data)
    }
    default:
      return data
  }
}

function messageContents(contents: MessageContents | undefined): Uint8Array {
  if (contents === undefined) return new Uint8Array(0)
  let data: Uint8Array
  if (contents.binary !== undefined) data = Buffer.from(contents.binary, 'base64')
  else if (contents.text !== undefined) data = Buffer.from(contents.text, 'utf8')
  else if (contents.binaryMessage !== undefined)
    data = (AnyType.fromObject(contents.binaryMessage) as unknown as AnyMessage).value ?? new Uint8Array(0)
  else data = new Uint8Array(0)
  return compress(data, contents.compression)
}

/** A `rawRequest` exactly as the suite gives it. */
function buildRawRequest(raw: RawRequest): HttpRequest {
  let url = raw.uri
  const params: [string, string][] = []
  for (const param of raw.rawQueryParams ?? []) for (const value of param.value) params.push([param.name, value])
  for (const param of raw.encodedQueryParams ?? []) {
    const bytes = messageContents(param.value)
    // Go's base64.URLEncoding: URL-safe alphabet, padded.
    const base64 = Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '_')
    params.push([param.name, param.base64Encode ? base64 : Buffer.from(bytes).toString('utf8')])
  }
  if (params.length > 0) url += (url.includes('?') ? '&' : '?') + encodeQuery(params)
  const headers: [string, string][] = []
  for (const header of raw.headers ?? []) for (const value of header.value) headers.push([header.name, value])
  let body: Uint8Array = new Uint8Array(0)
  if (raw.unary !== undefined) body = messageContents(raw.unary)
  else if (raw.stream !== undefined) {
    body = Buffer.concat(
      (raw.stream.items ?? []).map((item) => {
        const payload = messageContents(item.payload)
        return frame(item.flags ?? 0, payload, item.length ?? payload.byteLength)
      }),
    )
  }
  return { method: raw.verb, url, headers, body }
}

// ---------------------------------------------------------------------------------------------------- invocation

/** Delivers the request to the function as an event of `shape`, and reads the result as that front door would. */
export async function invokeLambda(
  lambda: LambdaFunction,
  request: HttpRequest,
  shape: EventShape,
  lambdaTimeoutMs: number,
): Promise<{ response: OutgoingHttpResponse; feedback: string[] }> {
  const event = toLambdaEvent(
    { method: request.method, url: request.url, headers: request.headers, body: request.body },
    shape,
  )
  let result: unknown
  try {
    result = await lambda(event, createLambdaContext(lambdaTimeoutMs))
  } catch (error) {
    return { response: functionErrorResponse(shape), feedback: [`the function threw: ${(error as Error).message}`] }
  }
  const checked = checkLambdaResult(result, shape)
  if (!checked.ok)
    return {
      response: functionErrorResponse(shape),
      feedback: [`the ${shape} front door rejects the result: ${checked.reason}`],
    }
  return { response: checked.response, feedback: checked.notes.map((note) => `front door: ${note}`) }
}

// ---------------------------------------------------------------------------------------------------- responses

class HeaderMap {
  readonly map = new Map<string, string[]>()
  add(name: string, value: string): void {
    const key = name.toLowerCase()
    const values = this.map.get(key)
    if (values === undefined) this.map.set(key, [value])
    else values.push(value)
  }
  get(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.[0]
  }
  values(name: string): string[] {
    return this.map.get(name.toLowerCase()) ?? []
  }
  toHeaders(skip: (name: string) => boolean = () => false): HeaderMessage[] {
    return [...this.map].filter(([name]) => !skip(name)).map(([name, value]) => ({ name, value: [...value] }))
  }
}

function mergeInto(target: HeaderMessage[], extra: HeaderMessage[]): HeaderMessage[] {
  const merged = new Map<string, string[]>()
  for (const h of [...target, ...extra])
    merged.set(h.name.toLowerCase(), [...(merged.get(h.name.toLowerCase()) ?? []), ...h.value])
  return [...merged].map(([name, value]) => ({ name, value }))
}

class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

function decompress(data: Uint8Array, encoding: string): Uint8Array {
  if (encoding === 'gzip') return zlib.gunzipSync(data)
  throw new ClientError(Code.INTERNAL, `client: cannot decompress "${encoding}"`)
}

/** Reads the response of a case the way connect-go reads it for the case's protocol and stream type. */
export function readResponse(c: ConformanceCase, response: OutgoingHttpResponse): ClientResult {
  const headers = new HeaderMap()
  for (const [name, value] of response.headers) headers.add(name, value)
  const feedback: string[] = []
  for (const [name, value] of response.headers) {
    if (!isValidFieldName(name))
      feedback.push(`response header name ${JSON.stringify(name)} is not a valid HTTP field name`)
    if (!isValidFieldValue(value))
      feedback.push(
        `response header ${name} has a value that is not a valid HTTP field value: ${JSON.stringify(value)}`,
      )
  }
  let result: ClientResult
  if (c.protocol === 'grpc-web') result = readGrpcWeb(c, response, headers, feedback)
  else if (c.streamType !== 'STREAM_TYPE_UNARY') result = readConnectStream(c, response, headers, feedback)
  else result = readConnectUnary(c, response, headers, feedback)
  checkBinaryMetadata('response headers', result.responseHeaders, feedback)
  checkBinaryMetadata('response trailers', result.responseTrailers, feedback)
  return result
}

function decodeResponseMessage(c: ConformanceCase, data: Uint8Array): Payload {
  const { response } = methodTypes(c)
  let message: any
  try {
    if (c.codec === 'json') {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(data)
      message = response.fromObject(JSON.parse(text))
    } else {
      message = response.decode(data)
    }
  } catch (error) {
    throw new ClientError(Code.INTERNAL, `client: cannot unmarshal the response: ${(error as Error).message}`)
  }
  if (message.payload == null) return { data: new Uint8Array(0) }
  return readPayload(message.payload)
}

function errorResult(
  code: number,
  message: string,
  status: number,
  feedback: string[],
  responseHeaders: HeaderMessage[] = [],
  responseTrailers: HeaderMessage[] = [],
): ClientResult {
  return {
    responseHeaders,
    responseTrailers,
    payloads: [],
    error: { code, message, details: [] },
    httpStatusCode: status,
    feedback,
  }
}

function connectCodec(contentType: string, prefix: string): string | undefined {
  if (!contentType.startsWith(prefix)) return undefined
  return contentType.slice(prefix.length)
}

function sameCodec(responseCodec: string, requestCodec: string): boolean {
  return responseCodec === requestCodec || (requestCodec === 'json' && responseCodec === 'json; charset=utf-8')
}

function readConnectUnary(
  c: ConformanceCase,
  response: OutgoingHttpResponse,
  headers: HeaderMap,
  feedback: string[],
): ClientResult {
  const status = response.status
  const responseHeaders = headers.toHeaders((name) => name.startsWith('trailer-'))
  const responseTrailers = headers
    .toHeaders((name) => !name.startsWith('trailer-'))
    .map((h) => ({ name: h.name.slice('trailer-'.length), value: h.value }))
  const contentType = headers.get('content-type') ?? ''
  const encoding = headers.get('content-encoding')
  const meta = () => mergeInto(responseHeaders, responseTrailers)
  const accepted = c.compression === 'gzip' ? ['gzip'] : []
  if (status !== 200) {
    if (contentType !== 'application/json' && contentType !== 'application/json; charset=utf-8') {
      return errorResult(httpToCode(status), `HTTP status ${status}`, status, feedback, [], meta())
    }
  } else {
    const codec = connectCodec(contentType, 'application/')
    if (codec === undefined)
      return errorResult(
        Code.UNKNOWN,
        `invalid content-type ${JSON.stringify(contentType)}`,
        status,
        feedback,
        [],
        meta(),
      )
    if (!sameCodec(codec, c.codec))
      return errorResult(
        Code.INTERNAL,
        `invalid content-type ${JSON.stringify(contentType)}`,
        status,
        feedback,
        [],
        meta(),
      )
  }
  if (encoding !== undefined && encoding !== 'identity' && !accepted.includes(encoding)) {
    return errorResult(Code.INTERNAL, `unknown encoding ${JSON.stringify(encoding)}`, status, feedback, [], meta())
  }
  let body: Uint8Array = response.body
  try {
    if (encoding !== undefined && encoding !== 'identity' && body.byteLength > 0) body = decompress(body, encoding)
  } catch (error) {
    return errorResult(
      Code.INTERNAL,
      `client: cannot decompress the response: ${(error as Error).message}`,
      status,
      feedback,
      [],
      meta(),
    )
  }
  if (status !== 200) {
    const text = Buffer.from(body).toString('utf8')
    if (contentType === 'application/json') examineConnectError(text, 'connect error JSON', feedback)
    const error = parseConnectErrorJson(text, status)
    return { responseHeaders: [], responseTrailers: meta(), payloads: [], error, httpStatusCode: status, feedback }
  }
  try {
    return {
      responseHeaders,
      responseTrailers,
      payloads: [decodeResponseMessage(c, body)],
      httpStatusCode: status,
      feedback,
    }
  } catch (error) {
    if (error instanceof ClientError) return errorResult(error.code, error.message, status, feedback, [], meta())
    throw error
  }
}

/** The error in a Connect error body; an unreadable one is the code the HTTP status implies. */
function parseConnectErrorJson(text: string, status: number): ExpectedError & { message: string } {
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    return { code: httpToCode(status), message: `HTTP status ${status}`, details: [] }
  }
  if (typeof json !== 'object' || json === null)
    return { code: httpToCode(status), message: `HTTP status ${status}`, details: [] }
  let code = httpToCode(status)
  if (json.code !== undefined) {
    const index = codeNames.indexOf(json.code)
    if (index <= 0) return { code: httpToCode(status), message: `HTTP status ${status}`, details: [] }
    code = index
  }
  const details: AnyMessage[] = []
  for (const detail of Array.isArray(json.details) ? json.details : []) {
    if (typeof detail?.type !== 'string' || typeof detail?.value !== 'string') continue
    details.push({ type_url: typeUrlPrefix + detail.type, value: Buffer.from(detail.value, 'base64') })
  }
  return { code, message: typeof json.message === 'string' ? json.message : '', details }
}

interface Frame {
  flags: number
  data: Uint8Array
}

function readFrames(body: Uint8Array): Frame[] {
  const frames: Frame[] = []
  let offset = 0
  while (offset < body.byteLength) {
    if (body.byteLength - offset < 5) throw new ClientError(Code.INTERNAL, 'protocol error: incomplete envelope header')
    const flags = body[offset]
    const length = Buffer.from(body.buffer, body.byteOffset + offset + 1, 4).readUInt32BE(0)
    if (body.byteLength - offset - 5 < length)
      throw new ClientError(Code.INTERNAL, `protocol error: envelope of ${length} bytes is cut short`)
    frames.push({ flags, data: body.subarray(offset + 5, offset + 5 + length) })
    offset += 5 + length
  }
  return frames
}

function readGrpcWeb(
  c: ConformanceCase,
  response: OutgoingHttpResponse,
  headers: HeaderMap,
  feedback: string[],
): ClientResult {
  const status = response.status
  if (status !== 200) return errorResult(httpToCode(status), `HTTP status ${status}`, status, feedback)
  const contentType = headers.get('content-type') ?? ''
  const validType =
    contentType === `application/grpc-web+${c.codec}` || (c.codec === 'proto' && contentType === 'application/grpc-web')
  if (!validType) {
    const code = contentType.startsWith('application/grpc-web') ? Code.INTERNAL : Code.UNKNOWN
    return errorResult(code, `invalid content-type ${JSON.stringify(contentType)}`, status, feedback)
  }
  const encoding = headers.get('grpc-encoding')
  const accepted = c.compression === 'gzip' ? ['gzip'] : []
  if (encoding !== undefined && encoding !== 'identity' && !accepted.includes(encoding)) {
    return errorResult(Code.INTERNAL, `unknown encoding ${JSON.stringify(encoding)}`, status, feedback)
  }
  // A client stream ends with one reply, as a unary call does.
  const unary = c.streamType === 'STREAM_TYPE_UNARY' || c.streamType === 'STREAM_TYPE_CLIENT_STREAM'

  // Trailers-only: no body, the status in the headers.
  if (response.body.byteLength === 0 && headers.get('grpc-status') !== undefined) {
    checkGrpcStatus(headers, feedback)
    const trailers = headers.toHeaders((name) => name === 'content-type')
    const error = grpcStatusError(headers)
    const responseHeaders = [{ name: 'content-type', value: [contentType] }]
    if (error === undefined) {
      if (unary)
        return errorResult(
          Code.UNIMPLEMENTED,
          'unary response has zero messages',
          status,
          feedback,
          [],
          mergeInto(responseHeaders, trailers),
        )
      return { responseHeaders, responseTrailers: trailers, payloads: [], httpStatusCode: status, feedback }
    }
    if (unary)
      return {
        responseHeaders: [],
        responseTrailers: mergeInto(responseHeaders, trailers),
        payloads: [],
        error,
        httpStatusCode: status,
        feedback,
      }
    return { responseHeaders, responseTrailers: trailers, payloads: [], error, httpStatusCode: status, feedback }
  }

  const responseHeaders = headers.toHeaders()
  const payloads: Payload[] = []
  let trailerBlock: HeaderMap | undefined
  try {
    for (const frame of readFrames(response.body)) {
      if (trailerBlock !== undefined)
        throw new ClientError(Code.INTERNAL, 'protocol error: data after the trailer frame')
      if ((frame.flags & 0x80) !== 0) {
        if ((frame.flags & ~0x81) !== 0)
          throw new ClientError(
            Code.INTERNAL,
            `protocol error: invalid trailer frame flags 0x${frame.flags.toString(16)}`,
          )
        let data = frame.data
        if ((frame.flags & 1) !== 0) {
          if (encoding === undefined || encoding === 'identity')
            throw new ClientError(Code.INTERNAL, 'protocol error: compressed trailers without grpc-encoding')
          data = decompress(data, encoding)
        }
        trailerBlock = examineGrpcWebTrailers(Buffer.from(data).toString('latin1'), feedback)
        checkGrpcStatus(trailerBlock, feedback)
        continue
      }
      if (frame.flags !== 0 && frame.flags !== 1)
        throw new ClientError(Code.INTERNAL, `protocol error: invalid frame flags 0x${frame.flags.toString(16)}`)
      let data = frame.data
      if (frame.flags === 1) {
        if (encoding === undefined || encoding === 'identity')
          throw new ClientError(Code.INTERNAL, 'protocol error: compressed message without grpc-encoding')
        data = decompress(data, encoding)
      }
      payloads.push(decodeResponseMessage(c, data))
    }
    if (trailerBlock === undefined)
      throw new ClientError(Code.INTERNAL, 'protocol error: no trailer frame and no grpc-status')
  } catch (error) {
    if (!(error instanceof ClientError)) throw error
    return {
      responseHeaders,
      responseTrailers: [],
      payloads,
      error: { code: error.code, message: error.message, details: [] },
      httpStatusCode: status,
      feedback,
    }
  }
  const responseTrailers = trailerBlock.toHeaders(
    (name) => name === 'grpc-status' || name === 'grpc-message' || name === 'grpc-status-details-bin',
  )
  let error = grpcStatusError(trailerBlock)
  if (unary) {
    if (error === undefined && payloads.length !== 1) {
      error = { code: Code.UNIMPLEMENTED, message: `unary response has ${payloads.length} messages`, details: [] }
    }
    if (error !== undefined) {
      return {
        responseHeaders: [],
        responseTrailers: mergeInto(responseHeaders, responseTrailers),
        payloads: [],
        error,
        httpStatusCode: status,
        feedback,
      }
    }
  }
  return { responseHeaders, responseTrailers, payloads, error, httpStatusCode: status, feedback }
}

/** The status a gRPC-Web client reads from trailers (or Trailers-Only headers); undefined for OK. */
function grpcStatusError(fields: HeaderMap): (ExpectedError & { message: string }) | undefined {
  const statusText = fields.get('grpc-status')
  if (statusText === undefined) return { code: Code.INTERNAL, message: 'protocol error: no grpc-status', details: [] }
  const code = Number(statusText)
  if (!/^\d+$/.test(statusText) || code > 16)
    return { code: Code.UNKNOWN, message: `invalid grpc-status ${JSON.stringify(statusText)}`, details: [] }
  if (code === 0) return undefined
  const message = decodeGrpcMessage(fields.get('grpc-message') ?? '')
  const details: AnyMessage[] = []
  const detailsBin = fields.get('grpc-status-details-bin')
  if (detailsBin !== undefined) {
    try {
      const decoded = StatusType.decode(Buffer.from(detailsBin, 'base64')) as any
      for (const any of decoded.details ?? [])
        details.push({ type_url: any.type_url, value: any.value ?? new Uint8Array(0) })
    } catch {
      return { code: Code.INTERNAL, message: 'client: unreadable grpc-status-details-bin', details: [] }
    }
  }
  return { code, message, details }
}

function decodeGrpcMessage(text: string): string {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3)
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function readConnectStream(
  c: ConformanceCase,
  response: OutgoingHttpResponse,
  headers: HeaderMap,
  feedback: string[],
): ClientResult {
  const status = response.status
  if (status !== 200)
    return errorResult(httpToCode(status), `HTTP status ${status}`, status, feedback, headers.toHeaders())
  const contentType = headers.get('content-type') ?? ''
  const codec = connectCodec(contentType, 'application/connect+')
  if (codec === undefined)
    return errorResult(
      Code.UNKNOWN,
      `invalid content-type ${JSON.stringify(contentType)}`,
      status,
      feedback,
      headers.toHeaders(),
    )
  if (codec !== c.codec)
    return errorResult(
      Code.INTERNAL,
      `invalid content-type ${JSON.stringify(contentType)}`,
      status,
      feedback,
      headers.toHeaders(),
    )
  const encoding = headers.get('connect-content-encoding')
  const accepted = c.compression === 'gzip' ? ['gzip'] : []
  if (encoding !== undefined && encoding !== 'identity' && !accepted.includes(encoding)) {
    return errorResult(
      Code.INTERNAL,
      `unknown encoding ${JSON.stringify(encoding)}`,
      status,
      feedback,
      headers.toHeaders(),
    )
  }
  const responseHeaders = headers.toHeaders()
  const payloads: Payload[] = []
  let endStream: { error?: ExpectedError & { message: string }; trailers: HeaderMessage[] } | undefined
  try {
    for (const frame of readFrames(response.body)) {
      if (endStream !== undefined)
        throw new ClientError(Code.INTERNAL, 'protocol error: data after the end-stream message')
      let data = frame.data
      if ((frame.flags & ~0x03) !== 0)
        throw new ClientError(Code.INTERNAL, `protocol error: invalid frame flags 0x${frame.flags.toString(16)}`)
      if ((frame.flags & 1) !== 0) {
        if (encoding === undefined || encoding === 'identity')
          throw new ClientError(Code.INTERNAL, 'protocol error: compressed message without connect-content-encoding')
        data = decompress(data, encoding)
      }
      if ((frame.flags & 2) !== 0) {
        const text = Buffer.from(data).toString('utf8')
        examineConnectEndStream(text, feedback)
        endStream = parseEndStream(text)
        continue
      }
      payloads.push(decodeResponseMessage(c, data))
    }
    if (endStream === undefined) throw new ClientError(Code.INTERNAL, 'protocol error: missing end-stream message')
  } catch (error) {
    if (!(error instanceof ClientError)) throw error
    return {
      responseHeaders,
      responseTrailers: [],
      payloads,
      error: { code: error.code, message: error.message, details: [] },
      httpStatusCode: status,
      feedback,
    }
  }
  let error = endStream.error
  if (c.streamType === 'STREAM_TYPE_CLIENT_STREAM' && error === undefined && payloads.length !== 1) {
    error = { code: Code.UNIMPLEMENTED, message: `unary response has ${payloads.length} messages`, details: [] }
  }
  return {
    responseHeaders,
    responseTrailers: endStream.trailers,
    payloads,
    error,
    httpStatusCode: status,
    feedback,
  }
}

function parseEndStream(text: string): { error?: ExpectedError & { message: string }; trailers: HeaderMessage[] } {
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    throw new ClientError(Code.INTERNAL, 'protocol error: end-stream message is not JSON')
  }
  const trailers: HeaderMessage[] = []
  for (const [name, values] of Object.entries(json?.metadata ?? {})) {
    if (Array.isArray(values)) trailers.push({ name: name.toLowerCase(), value: values.map(String) })
  }
  if (json?.error == null) return { trailers }
  const error = parseConnectErrorJson(JSON.stringify(json.error), 500)
  if (json.error.code === undefined) error.code = Code.UNKNOWN
  return { error, trailers }
}

// ---------------------------------------------------------------------------------------------------- wire checks

/** The reference client's checks of a Connect error body. */
function examineConnectError(text: string, what: string, feedback: string[]): void {
  const json = parseObject(text, what, feedback)
  if (json === undefined) return
  let hasCode = false
  for (const key of Object.keys(json).sort()) {
    const value = json[key]
    switch (key) {
      case 'code':
        hasCode = true
        if (typeof value !== 'string')
          feedback.push(`${what}: value for key "code" is a ${typeof value} instead of a string`)
        else if (codeNames.indexOf(value) <= 0)
          feedback.push(`${what}: value for key "code" is not a recognized error code name: ${JSON.stringify(value)}`)
        break
      case 'message':
        if (typeof value !== 'string')
          feedback.push(`${what}: value for key "message" is a ${typeof value} instead of a string`)
        break
      case 'details':
        if (!Array.isArray(value)) feedback.push(`${what}: value for key "details" is not an array`)
        else
          value.forEach((detail: unknown, i: number) => {
            examineConnectErrorDetail(detail, `${what}: details[${i}]`, feedback)
          })
        break
      default:
        feedback.push(`${what}: invalid key ${JSON.stringify(key)}`)
    }
  }
  if (!hasCode) feedback.push(`${what}: missing required key "code"`)
}

function examineConnectErrorDetail(detail: unknown, what: string, feedback: string[]): void {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    feedback.push(`${what}: expecting an object`)
    return
  }
  const record = detail as Record<string, unknown>
  let value: Uint8Array | undefined
  for (const key of Object.keys(record).sort()) {
    const item = record[key]
    switch (key) {
      case 'type':
        if (typeof item !== 'string') feedback.push(`${what}: value for key "type" is not a string`)
        else if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(item))
          feedback.push(`${what}: value for key "type", ${JSON.stringify(item)}, is not a valid type name`)
        break
      case 'value': {
        if (typeof item !== 'string') {
          feedback.push(`${what}: value for key "value" is not a string`)
          break
        }
        const decoded = parseRawBase64(item)
        if (decoded.error !== undefined)
          feedback.push(`${what}: value for key "value", ${JSON.stringify(item)}, ${decoded.error}`)
        value = decoded.bytes
        break
      }
      case 'debug':
        break
      default:
        feedback.push(`${what}: invalid key ${JSON.stringify(key)}`)
    }
  }
  if (record.type === undefined) feedback.push(`${what}: missing required key "type"`)
  if (record.value === undefined) feedback.push(`${what}: missing required key "value"`)
  if (record.debug !== undefined && record.debug !== null && typeof record.type === 'string' && value !== undefined) {
    try {
      const type = conformanceRoot.lookupType(record.type)
      const fromValue = JSON.stringify(
        type.toObject(type.decode(value), { json: true, longs: String, enums: String, bytes: String }),
      )
      const debug = record.debug as Record<string, unknown>
      const { '@type': _ignored, ...fields } = debug
      const fromDebug = JSON.stringify(
        type.toObject(type.fromObject(fields), { json: true, longs: String, enums: String, bytes: String }),
      )
      if (fromValue !== fromDebug) feedback.push(`${what}: debug data does not match value`)
    } catch (error) {
      feedback.push(`${what}: could not check debug data: ${(error as Error).message}`)
    }
  }
}

function parseObject(text: string, what: string, feedback: string[]): Record<string, any> | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    feedback.push(`${what}: ${(error as Error).message}`)
    return undefined
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    feedback.push(`${what}: expecting an object`)
    return undefined
  }
  const duplicate = checkNoDuplicateKeys(text)
  if (duplicate !== undefined) {
    feedback.push(`${what}: ${duplicate}`)
    return undefined
  }
  return json as Record<string, any>
}

function examineConnectEndStream(text: string, feedback: string[]): void {
  const what = 'connect end stream JSON'
  const json = parseObject(text, what, feedback)
  if (json === undefined) return
  for (const key of Object.keys(json).sort()) {
    const value = json[key]
    if (key === 'error') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        feedback.push(`${what}: value for key "error" is not an object`)
      else examineConnectError(JSON.stringify(value), 'connect error JSON', feedback)
    } else if (key === 'metadata') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        feedback.push(`${what}: value for key "metadata" is not an object`)
        continue
      }
      for (const [name, values] of Object.entries(value)) {
        if (!isValidFieldName(name))
          feedback.push(`${what}: metadata[${JSON.stringify(name)}]: not a valid HTTP field name`)
        if (!Array.isArray(values)) {
          feedback.push(`${what}: metadata[${JSON.stringify(name)}]: not an array of strings`)
          continue
        }
        values.forEach((v, i) => {
          if (typeof v !== 'string')
            feedback.push(`${what}: metadata[${JSON.stringify(name)}]: value #${i + 1} is not a string`)
          else if (!isValidFieldValue(v))
            feedback.push(`${what}: metadata[${JSON.stringify(name)}]: value #${i + 1} is not a valid HTTP field value`)
        })
      }
    } else {
      feedback.push(`${what}: invalid key ${JSON.stringify(key)}`)
    }
  }
}

/** The reference client's checks of a gRPC-Web trailer block; returns the fields as a client reads them. */
function examineGrpcWebTrailers(block: string, feedback: string[]): HeaderMap {
  const fields = new HeaderMap()
  const lines = block.split('\n')
  let withoutCr = 0
  let blank = 0
  let endsInCrlf = false
  lines.forEach((raw, i) => {
    let line = raw
    if (i === lines.length - 1) {
      if (line === '') {
        endsInCrlf = true
        return
      }
    } else if (!line.endsWith('\r')) {
      withoutCr++
    } else {
      line = line.slice(0, -1)
    }
    if (line === '') {
      blank++
      return
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      feedback.push('grpc-web trailers use obsolete line-folding')
      return
    }
    const colon = line.indexOf(':')
    if (colon === -1) {
      feedback.push(`grpc-web trailers include invalid field (missing colon): ${JSON.stringify(line)}`)
      return
    }
    const key = line.slice(0, colon)
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')
    if (!isValidFieldName(key)) feedback.push(`grpc-web trailers include invalid field name: ${JSON.stringify(line)}`)
    if (key !== key.toLowerCase())
      feedback.push(`grpc-web trailers include non-lower-case field key: ${JSON.stringify(key)}`)
    if (!isValidFieldValue(value))
      feedback.push(`grpc-web trailers include invalid field value: ${JSON.stringify(line)}`)
    fields.add(key, value)
  })
  if (blank > 0) feedback.push('grpc-web trailers include blank lines')
  if (withoutCr > 0) feedback.push('grpc-web trailers have lines with LF line ending instead of CRLF')
  if (!endsInCrlf) feedback.push('grpc-web trailers should end with CRLF but do not')
  return fields
}

/** Go's url.PathUnescape, which the reference client uses on grpc-message; undefined when it fails. */
function pathUnescape(text: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      const hex = text.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** The reference client's checks of grpc-status, grpc-message and grpc-status-details-bin. */
function checkGrpcStatus(fields: HeaderMap, feedback: string[]): void {
  const statuses = fields.values('grpc-status')
  let code: number | undefined
  if (statuses.length > 1) feedback.push(`trailers include multiple 'grpc-status' keys (${statuses.length})`)
  else if (statuses.length === 0) feedback.push(`trailers did not include 'grpc-status' key`)
  else if (!/^-?\d+$/.test(statuses[0]))
    feedback.push(`trailers include invalid 'grpc-status' value ${JSON.stringify(statuses[0])}`)
  else {
    code = Number(statuses[0])
    if (code < 0 || code > 16)
      feedback.push(`trailers include invalid 'grpc-status' value ${code}: should be >= 0 && <= 16`)
  }

  const messages = fields.values('grpc-message')
  if (messages.length > 1) feedback.push(`trailers include multiple 'grpc-message' keys (${messages.length})`)
  let message: string | undefined
  if (messages.length > 0) {
    const text = messages[0]
    let expectHex = 0
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i)
      if (expectHex > 0) {
        if (/[0-9a-fA-F]/.test(text[i])) {
          expectHex--
          continue
        }
        feedback.push(
          `trailers include incorrectly-encoded 'grpc-message' value ${JSON.stringify(text)}: byte at position ${i} should be a hexadecimal digit`,
        )
        expectHex = 0
        break
      }
      if (char === 0x25) {
        expectHex = 2
        continue
      }
      if (char < 0x20 || char > 0x7e) {
        feedback.push(
          `trailers include incorrectly-encoded 'grpc-message' value ${JSON.stringify(text)}: byte at position ${i} should be percent-encoded`,
        )
        break
      }
    }
    if (expectHex > 0)
      feedback.push(
        `trailers include incorrectly-encoded 'grpc-message' value ${JSON.stringify(text)}: incomplete percent-encoded character at the end`,
      )
    if (code === 0 && text !== '')
      feedback.push(`trailers include a non-empty 'grpc-message' value with zero/okay 'grpc-status'`)
    message = pathUnescape(text)
  }

  const detailsValues = fields.values('grpc-status-details-bin')
  if (detailsValues.length > 1)
    feedback.push(`trailers include multiple 'grpc-status-details-bin' keys (${detailsValues.length})`)
  if (detailsValues.length === 0) return
  const decoded = parseRawBase64(detailsValues[0])
  if (decoded.error !== undefined)
    feedback.push(`trailers include 'grpc-status-details-bin' value that ${decoded.error}`)
  if (decoded.bytes === undefined) return
  let status: any
  try {
    status = StatusType.decode(decoded.bytes)
  } catch (error) {
    feedback.push(`trailers include un-parseable 'grpc-status-details-bin' value: ${(error as Error).message}`)
    return
  }
  if (code !== undefined && status.code !== code)
    feedback.push(
      `trailers include 'grpc-status-details-bin' value that disagrees with 'grpc-status' value: ${status.code} != ${code}`,
    )
  if (status.code === 0 && (status.details ?? []).length > 0)
    feedback.push(`trailers include 'grpc-status-details-bin' value with zero/okay 'grpc-status' and non-empty details`)
  if (message !== undefined && status.message !== message) {
    feedback.push(
      `trailers include 'grpc-status-details-bin' value that disagrees with 'grpc-message' value: ${JSON.stringify(status.message)} != ${JSON.stringify(message)}`,
    )
  }
}

/** `-bin` metadata must be unpadded base64. */
function checkBinaryMetadata(what: string, metadata: HeaderMessage[], feedback: string[]): void {
  for (const entry of metadata) {
    const name = entry.name.toLowerCase()
    if (!name.endsWith('-bin') || name === 'grpc-status-details-bin') continue
    for (const value of entry.value) {
      const decoded = parseRawBase64(value)
      if (decoded.error !== undefined) {
        feedback.push(`${what} include '${entry.name}' value that ${decoded.error}`)
        return
      }
    }
  }
}
