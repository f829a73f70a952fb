import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type protobuf from 'protobufjs'
import { parse as parseYaml } from 'yaml'
import {
  AnyType,
  ConformancePayload,
  RequestInfo,
  anyTypeName,
  conformanceRoot,
  packageName,
  toAny,
  type AnyMessage,
  type HeaderMessage,
} from './schema.js'
import { serverReceiveLimitBytes } from './service.js'

/**
 * The server-side test suites of the Connect conformance project (YAML, the proto JSON form of
 * connectrpc.conformance.v1.TestSuite), expanded into runnable cases the way the reference runner does for the
 * features middy-grpc declares: HTTP/1.1, Connect and gRPC-Web, proto and JSON, identity and gzip, unary,
 * server-streaming, client-streaming and half-duplex bidirectional RPCs, Connect GET, a message receive limit, no TLS.
 */

export type ProtocolName = 'connect' | 'grpc-web'
export type CodecName = 'proto' | 'json'
export type CompressionName = 'identity' | 'gzip'
export type StreamType =
  | 'STREAM_TYPE_UNARY'
  | 'STREAM_TYPE_SERVER_STREAM'
  | 'STREAM_TYPE_CLIENT_STREAM'
  | 'STREAM_TYPE_HALF_DUPLEX_BIDI_STREAM'

const protocolEnums: Record<string, ProtocolName | undefined> = {
  PROTOCOL_CONNECT: 'connect',
  PROTOCOL_GRPC_WEB: 'grpc-web',
}
const codecEnums: Record<string, CodecName | undefined> = { CODEC_PROTO: 'proto', CODEC_JSON: 'json' }
const compressionEnums: Record<string, CompressionName | undefined> = {
  COMPRESSION_IDENTITY: 'identity',
  COMPRESSION_GZIP: 'gzip',
}
const allProtocols = ['PROTOCOL_CONNECT', 'PROTOCOL_GRPC', 'PROTOCOL_GRPC_WEB']
const allCodecs = ['CODEC_PROTO', 'CODEC_JSON']
const allCompressions = [
  'COMPRESSION_IDENTITY',
  'COMPRESSION_GZIP',
  'COMPRESSION_BR',
  'COMPRESSION_ZSTD',
  'COMPRESSION_DEFLATE',
  'COMPRESSION_SNAPPY',
]
const defaultMethods: Record<string, string | undefined> = {
  STREAM_TYPE_UNARY: 'Unary',
  STREAM_TYPE_SERVER_STREAM: 'ServerStream',
  STREAM_TYPE_CLIENT_STREAM: 'ClientStream',
  STREAM_TYPE_HALF_DUPLEX_BIDI_STREAM: 'BidiStream',
}
/** Why the stream types left out do not apply. */
const unsupportedStreamTypes: Record<string, string> = {
  STREAM_TYPE_FULL_DUPLEX_BIDI_STREAM:
    'full-duplex bidi needs replies to leave while requests still arrive; a Lambda invocation gets the whole request first',
}

const CodeEnum = conformanceRoot.lookupEnum(`${packageName}.Code`)

export interface MessageContents {
  binary?: string
  text?: string
  binaryMessage?: Record<string, unknown>
  compression?: string
}

export interface RawRequest {
  verb: string
  uri: string
  headers?: HeaderMessage[]
  rawQueryParams?: HeaderMessage[]
  encodedQueryParams?: { name: string; value: MessageContents; base64Encode?: boolean }[]
  unary?: MessageContents
  stream?: { items?: { flags?: number; length?: number; payload?: MessageContents }[] }
}

export interface ExpectedError {
  code: number
  message?: string
  details: AnyMessage[]
}

/** A payload as compared: data and what the server observed. */
export interface Payload {
  data: Uint8Array
  requestInfo?: RequestInfoValue
}

export interface RequestInfoValue {
  requestHeaders: HeaderMessage[]
  timeoutMs?: number
  requests: AnyMessage[]
  connectGetInfo?: { queryParams: HeaderMessage[] }
}

export interface ExpectedResponse {
  responseHeaders: HeaderMessage[]
  responseTrailers: HeaderMessage[]
  payloads: Payload[]
  error?: ExpectedError
  httpStatusCode?: number
}

export interface ConformanceCase {
  /** `Suite/…/TLS:false/case`, as the reference runner names it. */
  name: string
  suite: string
  protocol: ProtocolName
  codec: CodecName
  compression: CompressionName
  streamType: StreamType
  service: string
  method: string
  useGet: boolean
  requestHeaders: HeaderMessage[]
  requestMessages: AnyMessage[]
  timeoutMs?: number
  rawRequest?: RawRequest
  expected: ExpectedResponse
  otherAllowedCodes: number[]
}

export interface SuiteSummary {
  name: string
  file: string
  cases: ConformanceCase[]
  /** Cases of the suite that do not apply, with the reason. */
  skipped: { count: number; reason: string }[]
}

/** snake_case keys (allowed in proto YAML) become lowerCamel, as protobufjs names fields; `@type` is kept. */
function camelKeys(value: unknown): any {
  if (Array.isArray(value)) return value.map(camelKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key.startsWith('@') ? key : key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = camelKeys(item)
  }
  return out
}

function codeNumber(code: unknown): number {
  if (typeof code === 'number') return code
  const value = CodeEnum.values[String(code)]
  if (value === undefined) throw new Error(`unknown code ${String(code)}`)
  return value
}

function toAnyMessage(object: Record<string, unknown>): AnyMessage {
  const any = AnyType.fromObject(object) as unknown as AnyMessage
  if (!any.type_url) throw new Error(`cannot resolve Any ${JSON.stringify(object)}`)
  return { type_url: any.type_url, value: any.value ?? new Uint8Array(0) }
}

function anyType(any: AnyMessage): protobuf.Type {
  return conformanceRoot.lookupType(anyTypeName(any))
}

/** Pads request_data so the message is exactly `limit + delta` bytes, as the reference runner does. */
function expandRequest(any: AnyMessage, totalSize: number): AnyMessage {
  const type = anyType(any)
  const message = type.decode(any.value) as any
  for (let attempt = 0; ; attempt++) {
    const size = type.encode(message).finish().byteLength
    const delta = totalSize - size
    if (delta === 0) break
    if (attempt >= 2) throw new Error(`cannot pad ${type.name} to exactly ${totalSize} bytes (closest ${size})`)
    // An absent bytes field reads as protobufjs's shared empty default, which may be a plain array.
    const current: Uint8Array = message.requestData instanceof Uint8Array ? message.requestData : new Uint8Array(0)
    message.requestData =
      delta > 0 ? Buffer.concat([current, Buffer.alloc(delta)]) : current.subarray(0, current.byteLength + delta)
  }
  return toAny(type, message)
}

function parseError(object: any): ExpectedError {
  const error: ExpectedError = { code: codeNumber(object.code), details: (object.details ?? []).map(toAnyMessage) }
  if (object.message !== undefined && object.message !== null) error.message = String(object.message)
  return error
}

function parseHeaders(list: any): HeaderMessage[] {
  return (list ?? []).map((h: any) => ({ name: String(h.name), value: (h.value ?? []).map(String) }))
}

function decodePayload(message: any): Payload {
  const payload: Payload = { data: message.data ?? new Uint8Array(0) }
  if (message.requestInfo != null) payload.requestInfo = readRequestInfo(message.requestInfo)
  return payload
}

/** A RequestInfo message (decoded by protobufjs) as a plain value. */
export function readRequestInfo(info: any): RequestInfoValue {
  const value: RequestInfoValue = {
    requestHeaders: (info.requestHeaders ?? []).map((h: any) => ({ name: h.name, value: [...(h.value ?? [])] })),
    requests: (info.requests ?? []).map((a: any) => ({ type_url: a.type_url, value: a.value ?? new Uint8Array(0) })),
  }
  if (Object.hasOwn(info, 'timeoutMs') && info.timeoutMs != null) value.timeoutMs = Number(info.timeoutMs)
  if (info.connectGetInfo != null) {
    value.connectGetInfo = {
      queryParams: (info.connectGetInfo.queryParams ?? []).map((h: any) => ({
        name: h.name,
        value: [...(h.value ?? [])],
      })),
    }
  }
  return value
}

export function readPayload(message: any): Payload {
  return decodePayload(message)
}

function parseExplicitExpected(object: any): ExpectedResponse {
  const expected: ExpectedResponse = {
    responseHeaders: parseHeaders(object.responseHeaders),
    responseTrailers: parseHeaders(object.responseTrailers),
    payloads: (object.payloads ?? []).map((p: any) => decodePayload(ConformancePayload.fromObject(p))),
  }
  if (object.error != null) expected.error = parseError(object.error)
  if (object.httpStatusCode !== undefined) expected.httpStatusCode = Number(object.httpStatusCode)
  return expected
}

function requestInfoFor(request: Omit<ConformanceCase, 'expected'>, withGetInfo: boolean): RequestInfoValue {
  const info: RequestInfoValue = { requestHeaders: request.requestHeaders, requests: request.requestMessages }
  if (request.timeoutMs !== undefined) info.timeoutMs = request.timeoutMs
  if (withGetInfo && request.useGet) {
    info.connectGetInfo = {
      queryParams: [
        { name: 'encoding', value: [request.codec] },
        { name: 'connect', value: ['v1'] },
      ],
    }
  }
  return info
}

function requestInfoAny(info: RequestInfoValue): AnyMessage {
  return toAny(RequestInfo, info as unknown as Record<string, unknown>)
}

/** The expected response derived from the response definition of the first request, as the reference runner does. */
function deriveExpected(request: Omit<ConformanceCase, 'expected'>): ExpectedResponse {
  const first = request.requestMessages[0]
  const definition: any =
    first === undefined ? undefined : (anyType(first).decode(first.value) as any).responseDefinition
  if (request.streamType === 'STREAM_TYPE_UNARY' || request.streamType === 'STREAM_TYPE_CLIENT_STREAM') {
    const info = requestInfoFor(request, true)
    if (definition == null)
      return { responseHeaders: [], responseTrailers: [], payloads: [{ data: new Uint8Array(0), requestInfo: info }] }
    const expected: ExpectedResponse = {
      responseHeaders: parseHeaders(definition.responseHeaders),
      responseTrailers: parseHeaders(definition.responseTrailers),
      payloads: [],
    }
    if (definition.error != null) {
      const error = readErrorMessage(definition.error)
      error.details.push(requestInfoAny(info))
      expected.error = error
    } else {
      expected.payloads = [{ data: definition.responseData ?? new Uint8Array(0), requestInfo: info }]
    }
    return expected
  }
  if (definition == null) return { responseHeaders: [], responseTrailers: [], payloads: [] }
  const data: Uint8Array[] = definition.responseData ?? []
  const expected: ExpectedResponse = {
    responseHeaders: parseHeaders(definition.responseHeaders),
    responseTrailers: parseHeaders(definition.responseTrailers),
    payloads: data.map((d, i) => (i === 0 ? { data: d, requestInfo: requestInfoFor(request, false) } : { data: d })),
  }
  if (definition.error != null) {
    expected.error = readErrorMessage(definition.error)
    if (data.length === 0) expected.error.details.push(requestInfoAny(requestInfoFor(request, false)))
  }
  return expected
}

/** An Error message (decoded by protobufjs) as a plain value. */
export function readErrorMessage(error: any): ExpectedError {
  const value: ExpectedError = {
    code: Number(error.code ?? 0),
    details: (error.details ?? []).map((a: any) => ({ type_url: a.type_url, value: a.value ?? new Uint8Array(0) })),
  }
  if (Object.hasOwn(error, 'message') && error.message != null) value.message = error.message
  return value
}

function intersect(relevant: string[] | undefined, all: string[], supported: (name: string) => boolean): string[] {
  return (relevant !== undefined && relevant.length > 0 ? relevant : all).filter(supported)
}

/** Reads every suite file and expands the applicable cases. */
export function loadSuites(directory: string): SuiteSummary[] {
  const files = readdirSync(directory)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
  return files.map((file) => expandSuite(file, camelKeys(parseYaml(readFileSync(join(directory, file), 'utf8')))))
}

function expandSuite(file: string, suite: any): SuiteSummary {
  const name: string = suite.name
  const testCases: any[] = suite.testCases ?? []
  const summary: SuiteSummary = { name, file, cases: [], skipped: [] }
  const skipAll = (reason: string) => {
    summary.skipped.push({ count: testCases.length, reason })
    return summary
  }
  if (suite.mode === 'TEST_MODE_CLIENT') return skipAll('tests clients')
  if (suite.reliesOnTls || suite.reliesOnTlsClientCerts) return skipAll('needs TLS')
  const versions: string[] = suite.relevantHttpVersions ?? []
  if (versions.length > 0 && !versions.includes('HTTP_VERSION_1')) return skipAll('needs HTTP/2 or HTTP/3')
  const protocols = intersect(suite.relevantProtocols, allProtocols, (p) => protocolEnums[p] !== undefined)
  if (protocols.length === 0) return skipAll('gRPC needs HTTP/2 trailers, which no Lambda front door sends')
  const codecs = intersect(suite.relevantCodecs, allCodecs, (c) => codecEnums[c] !== undefined)
  const compressions = intersect(suite.relevantCompressions, allCompressions, (c) => compressionEnums[c] !== undefined)
  if (codecs.length === 0 || compressions.length === 0) return skipAll('no supported codec or compression')

  const prefix = [name]
  if (versions.length !== 1) prefix.push('HTTPVersion:1')
  const streamSkipped = new Map<string, number>()

  for (const protocol of protocols) {
    for (const codec of codecs) {
      for (const compression of compressions) {
        const components = [...prefix]
        if ((suite.relevantProtocols ?? []).length !== 1) components.push(`Protocol:${protocol}`)
        if ((suite.relevantCodecs ?? []).length !== 1) components.push(`Codec:${codec}`)
        if ((suite.relevantCompressions ?? []).length !== 1) components.push(`Compression:${compression}`)
        components.push('TLS:false')
        for (const testCase of testCases) {
          const request = testCase.request
          if (defaultMethods[request.streamType] === undefined) {
            streamSkipped.set(request.streamType, (streamSkipped.get(request.streamType) ?? 0) + 1)
            continue
          }
          summary.cases.push(
            buildCase(testCase, {
              name: [...components, request.testName].join('/'),
              suite: name,
              protocol: protocolEnums[protocol]!,
              codec: codecEnums[codec]!,
              compression: compressionEnums[compression]!,
            }),
          )
        }
      }
    }
  }
  for (const [streamType, count] of streamSkipped) {
    summary.skipped.push({ count, reason: unsupportedStreamTypes[streamType] ?? `${streamType} is unknown` })
  }
  return summary
}

function buildCase(
  testCase: any,
  config: { name: string; suite: string; protocol: ProtocolName; codec: CodecName; compression: CompressionName },
): ConformanceCase {
  const request = testCase.request
  const defaultMethod = defaultMethods[request.streamType]
  let requestMessages: AnyMessage[] = (request.requestMessages ?? []).map(toAnyMessage)
  const expand: any[] = testCase.expandRequests ?? []
  requestMessages = requestMessages.map((any, i) => {
    const relative = expand[i]?.sizeRelativeToLimit
    return relative === undefined || relative === null
      ? any
      : expandRequest(any, serverReceiveLimitBytes + Number(relative))
  })
  const base: Omit<ConformanceCase, 'expected'> = {
    name: config.name,
    suite: config.suite,
    protocol: config.protocol,
    codec: config.codec,
    compression: config.compression,
    streamType: request.streamType,
    service: request.service ?? `${packageName}.ConformanceService`,
    method: request.method ?? defaultMethod,
    useGet: request.useGetHttpMethod === true,
    requestHeaders: parseHeaders(request.requestHeaders),
    requestMessages,
    otherAllowedCodes: (testCase.otherAllowedErrorCodes ?? []).map(codeNumber),
  }
  if (request.timeoutMs !== undefined && request.timeoutMs !== null) base.timeoutMs = Number(request.timeoutMs)
  if (request.rawRequest != null) base.rawRequest = request.rawRequest as RawRequest
  const expected =
    testCase.expectedResponse != null ? parseExplicitExpected(testCase.expectedResponse) : deriveExpected(base)
  return { ...base, expected }
}
