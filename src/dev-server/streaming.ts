import { Writable } from 'node:stream'
import { EnvelopeReader } from '../envelope.js'
import { TrailerFrameSplitter, isTrailerFrame, withoutTrailerHeader } from './grpc-trailers.js'
import type { StreamTarget } from './http-exchange.js'

/** The content type `awslambda.HttpResponseStream.from` gives the invoke response: a JSON prelude, 8 NULs, the body. */
const httpIntegrationContentType = 'application/vnd.awslambda.http-integration-response'
const preludeDelimiter = Buffer.alloc(8)
const streamingMark = Symbol.for('middy-grpc.dev-server.streamifyResponse')

/** A Lambda response stream, as the Node.js runtime passes it to a streamified handler. */
export interface LambdaResponseStream extends Writable {
  setContentType(contentType: string): void
}

type StreamingFunction = (event: unknown, responseStream: LambdaResponseStream, context: unknown) => unknown

/**
 * Installs the `awslambda` global of the Lambda Node.js runtime (`streamifyResponse`, `HttpResponseStream.from`),
 * which a streamified Middy handler calls while its module loads, unless one is installed already. Handlers
 * wrapped by this `streamifyResponse` are served with response streaming. Returns whether it installed it.
 */
export function installAwsLambdaGlobal(): boolean {
  const global = globalThis as { awslambda?: unknown }
  if (global.awslambda !== undefined) return false
  global.awslambda = {
    streamifyResponse(handler: StreamingFunction): StreamingFunction {
      Object.defineProperty(handler, streamingMark, { value: true })
      return handler
    },
    HttpResponseStream: {
      from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream {
        stream.setContentType(httpIntegrationContentType)
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude)), preludeDelimiter]))
        return stream
      },
    },
  }
  return true
}

/** Whether the handler was wrapped by the `awslambda.streamifyResponse` of installAwsLambdaGlobal. */
export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[streamingMark] === true
}

export interface StreamObserver {
  /** Each complete 5-byte-prefixed frame of the body (for logs), when the body is enveloped. */
  frame?(flags: number, data: Uint8Array): void
}

export interface ResponseStreamState {
  status: number | undefined
  headers: [string, string][]
  /** Trailers taken from the final gRPC trailer frame (HTTP/2 gRPC only). */
  readonly trailers: [string, string][]
  headersSent: boolean
  ended: boolean
}

/**
 * The response stream handed to a streamified handler. It reads the prelude (status, headers, cookies) when
 * `HttpResponseStream.from` was used, else answers 200 with the content type set, and forwards the body as it comes.
 * With `grpcTrailers` (native gRPC over HTTP/2) it turns the final trailer frame the core ends a streamed gRPC reply
 * with into real HTTP/2 trailers (grpc-trailers.ts).
 */
export function createResponseStream(
  target: StreamTarget,
  options: {
    grpcTrailers: (headers: [string, string][]) => boolean
    decorateHeaders: (headers: [string, string][]) => void
    observer?: StreamObserver
    enveloped: (headers: [string, string][]) => boolean
  },
): { stream: LambdaResponseStream; state: ResponseStreamState } {
  const splitter = new TrailerFrameSplitter()
  const state: ResponseStreamState = {
    status: undefined,
    headers: [],
    trailers: splitter.trailers,
    headersSent: false,
    ended: false,
  }
  let contentType: string | undefined
  let prelude: Buffer | undefined = Buffer.alloc(0)
  let grpcMode = false
  let observe: EnvelopeReader | undefined

  const respond = (end: boolean): void => {
    if (state.headersSent) return
    state.headersSent = true
    target.respond(state.status ?? 200, state.headers, { end, trailers: !end && grpcMode })
  }

  const startBody = (status: number, headers: [string, string][]): void => {
    state.status = status
    state.headers = headers
    options.decorateHeaders(state.headers)
    grpcMode = options.grpcTrailers(state.headers)
    if (grpcMode) state.headers = withoutTrailerHeader(state.headers)
    if (!grpcMode && options.observer?.frame !== undefined && options.enveloped(state.headers))
      observe = new EnvelopeReader()
  }

  const forward = async (chunk: Buffer): Promise<void> => {
    if (chunk.byteLength === 0) return
    if (grpcMode) {
      for (const frame of splitter.push(chunk)) {
        options.observer?.frame?.(frame.flags, frame.data)
        if (isTrailerFrame(frame)) continue
        respond(false)
        await target.write(frame.bytes)
      }
      return
    }
    if (observe !== undefined)
      for (const frame of observe.push(chunk)) options.observer?.frame?.(frame.flags, frame.data)
    respond(false)
    await target.write(chunk)
  }

  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      void (async () => {
        if (prelude !== undefined) {
          if (contentType !== httpIntegrationContentType) {
            prelude = undefined
            startBody(200, [['content-type', contentType ?? 'application/octet-stream']])
          } else {
            prelude = Buffer.concat([prelude, chunk])
            const end = prelude.indexOf(preludeDelimiter)
            if (end === -1) return
            const parsed = parsePrelude(prelude.subarray(0, end))
            chunk = prelude.subarray(end + preludeDelimiter.length)
            prelude = undefined
            startBody(parsed.status, parsed.headers)
          }
        }
        await forward(chunk)
      })().then(
        () => callback(),
        (error: Error) => callback(error),
      )
    },
    final(callback) {
      if (prelude !== undefined) startBody(200, [['content-type', contentType ?? 'application/octet-stream']])
      state.ended = true
      if (!state.headersSent) {
        // Nothing but a status: Trailers-Only for gRPC, its fields in the headers.
        state.headers.push(...state.trailers.splice(0))
        respond(true)
      } else {
        target.end(state.trailers)
      }
      callback()
    },
  }) as LambdaResponseStream
  stream.setContentType = (type: string) => {
    contentType = type
  }
  stream.on('error', () => undefined)
  return { stream, state }
}

function parsePrelude(bytes: Buffer): { status: number; headers: [string, string][] } {
  const prelude = JSON.parse(bytes.toString('utf8')) as {
    statusCode?: number
    headers?: Record<string, string>
    multiValueHeaders?: Record<string, string[]>
    cookies?: string[]
  }
  const headers: [string, string][] = []
  for (const [name, value] of Object.entries(prelude.headers ?? {})) headers.push([name, String(value)])
  for (const [name, values] of Object.entries(prelude.multiValueHeaders ?? {}))
    for (const value of values) headers.push([name, String(value)])
  for (const cookie of prelude.cookies ?? []) headers.push(['set-cookie', cookie])
  return { status: prelude.statusCode ?? 200, headers }
}
