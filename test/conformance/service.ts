import middy from '@middy/core'
import type protobuf from 'protobufjs'
import { GrpcError, grpcFraming, grpcRouter, type GrpcEvent, type RpcCall, type StatusCode } from '../../src/index.js'
import { ConformanceService, RequestInfo, toAny, type AnyMessage, type HeaderMessage } from './schema.js'

/** The receive limit the conformance suites assume for servers (`server_message_size.yaml`). */
export const serverReceiveLimitBytes = 200 * 1024

export interface ErrorDefinition {
  code: number
  message?: string
  details?: AnyMessage[]
}

export interface ResponseDefinition {
  responseHeaders?: HeaderMessage[]
  responseTrailers?: HeaderMessage[]
  responseDelayMs?: number
  error?: ErrorDefinition | null
  /** Unary: one reply. */
  responseData?: Uint8Array | Uint8Array[]
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })

/** What the server observed, as the reference server reports it in every reply or error. */
function requestInfo(event: GrpcEvent, requests: AnyMessage[]): Record<string, unknown> {
  const grpc: RpcCall = event.grpc
  const info: Record<string, unknown> = {
    requestHeaders: [...grpc.requestHeader].map(([name, value]) => ({ name, value: [value] })),
    requests,
  }
  // grpc-timeout may carry sub-millisecond units; the echo is whole milliseconds, as the reference server's.
  if (grpc.timeoutMs !== undefined) info.timeoutMs = Math.floor(grpc.timeoutMs)
  const queryParams = connectGetQuery(event)
  if (queryParams !== undefined) info.connectGetInfo = { queryParams }
  return info
}

/**
 * The query parameters of a Connect GET request, read from the event in whichever shape it came (ALB passes them
 * still percent-encoded).
 */
function connectGetQuery(event: GrpcEvent): HeaderMessage[] | undefined {
  const e = event as any
  const method: string | undefined = e.requestContext?.http?.method ?? e.httpMethod
  if (event.grpc.protocol !== 'connect' || method?.toUpperCase() !== 'GET') return undefined
  const pairs: [string, string][] = []
  if (typeof e.rawQueryString === 'string') {
    for (const part of e.rawQueryString.split('&')) {
      if (part === '') continue
      const equals = part.indexOf('=')
      pairs.push(equals === -1 ? [decode(part), ''] : [decode(part.slice(0, equals)), decode(part.slice(equals + 1))])
    }
  } else {
    const encoded = e.requestContext?.elb !== undefined
    const multi: Record<string, string[]> | null | undefined = e.multiValueQueryStringParameters
    const single: Record<string, string> | null | undefined = e.queryStringParameters
    const entries: [string, string[]][] = multi
      ? Object.entries(multi)
      : Object.entries(single ?? {}).map(([k, v]) => [k, [v]])
    for (const [name, values] of entries) {
      for (const value of values) pairs.push(encoded ? [decode(name), decode(value)] : [name, value])
    }
  }
  const grouped = new Map<string, string[]>()
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value])
  return [...grouped].map(([name, value]) => ({ name, value }))
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

function addMetadata(call: RpcCall, definition: ResponseDefinition): void {
  for (const header of definition.responseHeaders ?? []) {
    for (const value of header.value) call.responseHeader.append(header.name, value)
  }
  for (const trailer of definition.responseTrailers ?? []) {
    for (const value of trailer.value) call.responseTrailer.append(trailer.name, value)
  }
}

/** The requested error, with what the server observed appended to its details. */
function requestedError(error: ErrorDefinition, info: Record<string, unknown>): GrpcError {
  const details = (error.details ?? []).map((any) => ({
    type: any.type_url.slice(any.type_url.lastIndexOf('/') + 1),
    value: any.value,
  }))
  const infoAny = toAny(RequestInfo, info)
  details.push({ type: RequestInfo.fullName.slice(1), value: infoAny.value })
  return new GrpcError(error.code as StatusCode, error.message ?? '', { details })
}

/** What a handler reads from a request: its response definition, and the request itself as an Any. */
export type ReadRequest = (event: GrpcEvent) => { definition: ResponseDefinition | null | undefined; any: AnyMessage }

function readProtobufjsRequest(event: GrpcEvent): ReturnType<ReadRequest> {
  const any = toAny(event.grpc.method.descriptor?.resolvedRequestType as protobuf.Type, event.message)
  return { definition: event.message.responseDefinition, any }
}

/**
 * Every request message of a client or bidi stream, each read by `read` as if it were a unary request's message,
 * and the response definition the first one carries (as the reference server takes it).
 */
async function readRequests(
  event: GrpcEvent,
  read: ReadRequest,
): Promise<{ definition: ResponseDefinition | null | undefined; requests: AnyMessage[] }> {
  let definition: ResponseDefinition | null | undefined
  const requests: AnyMessage[] = []
  for await (const message of event.messages) {
    const request = read({ ...event, message })
    if (requests.length === 0) definition = request.definition
    requests.push(request.any)
  }
  return { definition, requests }
}

/**
 * Unary and IdempotentUnary: headers, trailers, then the data or the error, as the reference server does. The
 * response delay ends early when the deadline aborts the call, and the handler then returns normally, as a handler
 * that checks `signal` and gives up with what it has would.
 */
async function unary(event: GrpcEvent, read: ReadRequest): Promise<Record<string, unknown>> {
  const { definition, any } = read(event)
  return reply(event, definition, requestInfo(event, [any]))
}

/** ClientStream: every request read, then answered as Unary answers, with all of them in the request info. */
async function clientStream(event: GrpcEvent, read: ReadRequest): Promise<Record<string, unknown>> {
  const { definition, requests } = await readRequests(event, read)
  return reply(event, definition, requestInfo(event, requests))
}

async function reply(
  event: GrpcEvent,
  definition: ResponseDefinition | null | undefined,
  info: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (definition == null) return { payload: { requestInfo: info } }
  addMetadata(event.grpc, definition)
  if (definition.error != null) throw requestedError(definition.error, info)
  await sleep(definition.responseDelayMs ?? 0, event.grpc.signal)
  const payload: Record<string, unknown> = { requestInfo: info }
  if (definition.responseData !== undefined && definition.responseData !== null) payload.data = definition.responseData
  return { payload }
}

/**
 * ServerStream, written against the design's contract (a server-streaming handler returns an AsyncIterable):
 * the first reply carries the request info; an error after no replies carries it as a detail.
 */
async function* serverStream(event: GrpcEvent, read: ReadRequest): AsyncGenerator<Record<string, unknown>> {
  const { definition, any } = read(event)
  yield* replies(event, definition, requestInfo(event, [any]))
}

/**
 * BidiStream, half-duplex (the only kind a Lambda invocation can serve): every request read first, then the replies
 * as ServerStream sends them, with all the requests in the first reply's request info.
 */
async function* bidiStream(event: GrpcEvent, read: ReadRequest): AsyncGenerator<Record<string, unknown>> {
  const { definition, requests } = await readRequests(event, read)
  yield* replies(event, definition, requestInfo(event, requests))
}

async function* replies(
  event: GrpcEvent,
  definition: ResponseDefinition | null | undefined,
  info: Record<string, unknown>,
): AsyncGenerator<Record<string, unknown>> {
  if (definition == null) return
  addMetadata(event.grpc, definition)
  const data = (definition.responseData ?? []) as Uint8Array[]
  for (let i = 0; i < data.length; i++) {
    await sleep(definition.responseDelayMs ?? 0, event.grpc.signal)
    // Like the unary handler, give up quietly once the deadline aborted the call: the server owes the client
    // DEADLINE_EXCEEDED even when the handler ends normally.
    if (event.grpc.signal.aborted) return
    yield { payload: i === 0 ? { data: data[i], requestInfo: info } : { data: data[i] } }
  }
  if (definition.error != null) {
    if (data.length > 0) {
      const { code, message, details } = definition.error
      throw new GrpcError(code as StatusCode, message ?? '', {
        details: (details ?? []).map((any) => ({
          type: any.type_url.slice(any.type_url.lastIndexOf('/') + 1),
          value: any.value,
        })),
      })
    }
    throw requestedError(definition.error, info)
  }
}

/**
 * The handlers of the service for requests that `read` understands: protobufjs messages here, protobuf-es messages
 * in test/typed/conformance-es.ts. Replies are plain objects, which every family's codec takes.
 */
export function conformanceHandlers(read: ReadRequest) {
  return {
    unary: (event: GrpcEvent) => unary(event, read),
    serverStream: (event: GrpcEvent) => serverStream(event, read),
    clientStream: (event: GrpcEvent) => clientStream(event, read),
    bidiStream: (event: GrpcEvent) => bidiStream(event, read),
  }
}

/** connectrpc.conformance.v1.ConformanceService on middy-grpc; `Unimplemented` is deliberately left out. */
export function createConformanceLambda() {
  const handlers = conformanceHandlers(readProtobufjsRequest)
  return middy()
    .use(grpcFraming({ service: ConformanceService, readMaxBytes: serverReceiveLimitBytes, logger: false }))
    .handler(
      grpcRouter({
        Unary: handlers.unary,
        IdempotentUnary: handlers.unary,
        ServerStream: handlers.serverStream as any,
        ClientStream: handlers.clientStream,
        BidiStream: handlers.bidiStream as any,
      }),
    )
}
