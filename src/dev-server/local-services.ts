import { EnvelopeReader, encodeEnvelope, flagCompressed, flagEndStream } from '../envelope.js'
import { GrpcError } from '../grpc-error.js'
import { encodeGrpcMessage } from '../metadata.js'
import { connectErrorJson } from '../protocol/connect-common.js'
import { mediaType } from '../protocol/detect.js'
import { headerContentType, headerGrpcMessage, headerGrpcStatus } from '../protocol/headers.js'
import { Status } from '../status.js'
import type { CallLog } from './call-log.js'
import { type HttpExchange, headerValue } from './http-exchange.js'
import { describeStatus } from './inspect.js'

/**
 * A method the dev server answers itself, over HTTP/2, instead of invoking the handler: each request message gets
 * one reply (a unary call's one message, or each message of a bidirectional stream such as gRPC reflection's, whose
 * clients wait for every reply). Throwing a GrpcError ends the call with its status.
 */
export type LocalMethod = (request: Uint8Array) => Uint8Array

/** Local methods by path, `/grpc.health.v1.Health/Check`. */
export type LocalServices = ReadonlyMap<string, LocalMethod>

/** The largest request message a local method takes (reflection and health requests are a few bytes). */
const localRequestMaxBytes = 64 * 1024
/** The enveloped protocols a local method is served with: native gRPC, and Connect streaming (buf curl's default). */
const wireProtocols: Record<string, 'grpc' | 'connect'> = {
  'application/grpc': 'grpc',
  'application/grpc+proto': 'grpc',
  'application/connect+proto': 'connect',
}

/**
 * Serves the exchange when it is an HTTP/2 gRPC or Connect streaming call of one of `services`, and returns whether
 * it did. Replies go out as the requests come in; the status follows when the client ends its side (gRPC trailers,
 * Trailers-Only when the call fails before any reply; Connect's end-of-stream message). Calls stay open as long as
 * the client keeps them open: they are not Lambda invocations.
 */
export function serveLocalCall(
  services: LocalServices | undefined,
  { head, body, target }: HttpExchange,
  call: CallLog,
): boolean {
  const method = services?.get(head.url)
  const contentType = mediaType(headerValue(head.headers, headerContentType))
  const protocol = wireProtocols[contentType]
  if (method === undefined || protocol === undefined || head.method !== 'POST' || head.httpVersion !== 'HTTP/2')
    return false
  const reader = new EnvelopeReader()
  let replies = 0
  let responded = false
  let finished = false
  const respond = (): void => {
    if (responded) return
    responded = true
    target.respond(200, [[headerContentType, contentType]], { end: false, trailers: protocol === 'grpc' })
  }
  const finish = (error?: GrpcError): void => {
    if (finished) return
    finished = true
    const code = error?.code ?? Status.OK
    call.finish(describeStatus(200, { code, message: error?.message }), `, ${replies} replies from the dev server`)
    if (protocol === 'connect') {
      respond()
      const end = JSON.stringify(error === undefined ? {} : { error: connectErrorJson(error) })
      void target.write(encodeEnvelope(flagEndStream, Buffer.from(end)))
      target.end([])
      return
    }
    const status: [string, string][] = [[headerGrpcStatus, String(code)]]
    if (error !== undefined && error.message !== '') status.push([headerGrpcMessage, encodeGrpcMessage(error.message)])
    if (responded) target.end(status)
    else target.respond(200, [[headerContentType, contentType], ...status], { end: true, trailers: false })
  }
  body.on('data', (chunk: Buffer) => {
    if (finished) return
    for (const { flags, data } of reader.push(chunk)) {
      if ((flags & flagCompressed) !== 0)
        return finish(new GrpcError(Status.UNIMPLEMENTED, 'compressed messages are not supported here'))
      let reply: Uint8Array
      try {
        reply = method(data)
      } catch (error) {
        return finish(
          error instanceof GrpcError
            ? error
            : new GrpcError(Status.INTERNAL, `the dev server failed: ${(error as Error).message}`),
        )
      }
      respond()
      replies += 1
      void target.write(encodeEnvelope(0, reply))
    }
    if (reader.buffered > localRequestMaxBytes)
      finish(new GrpcError(Status.RESOURCE_EXHAUSTED, `request message larger than ${localRequestMaxBytes} bytes`))
  })
  body.on('end', () =>
    finish(reader.buffered > 0 ? new GrpcError(Status.INTERNAL, 'the request ended inside a message') : undefined),
  )
  body.on('close', () => {
    if (!finished) call.finish('cancelled by the client', `, ${replies} replies from the dev server`)
    finished = true
  })
  return true
}
