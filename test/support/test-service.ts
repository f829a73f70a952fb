import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import { createError } from '@middy/util'
import protobuf from 'protobufjs'
import {
  GrpcError,
  grpcFraming,
  grpcRouter,
  type GrpcFramingOptions,
  type RpcCall,
  type StatusCode,
} from '../../src/index.js'

export const testRoot = protobuf.loadSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'proto', 'test.proto'))
export const TestService = testRoot.lookupService('test.v1.TestService')
export const ErrorInfo = testRoot.lookupType('test.v1.ErrorInfo')
export const EchoRequest = testRoot.lookupType('test.v1.EchoRequest')
export const EchoResponse = testRoot.lookupType('test.v1.EchoResponse')

/** Waits `ms`, or rejects with the signal's reason (DEADLINE_EXCEEDED at the call's deadline) when it aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/** Request headers `x-echo-*` come back as response headers, `x-trailer-*` as trailers. */
export function echoMetadata(grpc: RpcCall): void {
  for (const [name, value] of grpc.requestHeader) {
    if (name.startsWith('x-echo-')) grpc.responseHeader.append(name, value)
    if (name.startsWith('x-trailer-')) grpc.responseTrailer.append(name, value)
  }
}

/** The reply of Echo, shared with the single-method handlers of the tests. */
export async function echo(event: { message: any; grpc: RpcCall }) {
  const { message, grpc } = event
  if (message.delayMs > 0) await sleep(message.delayMs, grpc.signal)
  echoMetadata(grpc)
  return {
    text: message.text,
    payload: message.replyBytes > 0 ? new Uint8Array(message.replyBytes).fill(7) : message.payload,
    headers: [...grpc.requestHeader].map(([name, value]) => `${name}: ${value}`),
    timeoutMs: grpc.timeoutMs ?? -1,
    protocol: grpc.protocol,
    number: message.number,
  }
}

/** The handlers behind the interop tests. */
export const testHandlers = grpcRouter({
  Echo: echo,
  async Fail(event) {
    const { code, message, withDetails, kind, httpStatus } = event.message
    echoMetadata(event.grpc)
    event.grpc.responseTrailer.set('x-failed', 'yes')
    if (kind === 'plain') throw new Error(message)
    if (kind === 'http') throw createError(httpStatus, message)
    throw new GrpcError(code as StatusCode, message, {
      details: withDetails ? [ErrorInfo.create({ reason: 'TEST_REASON', metadata: { a: 'b' } })] : [],
      metadata: { 'x-error-meta': 'present' },
    })
  },
  Lookup: async (event) => ({ text: `found ${event.message.text}` }),
})

export function createTestLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy()
    .use(grpcFraming({ service: TestService, logger: false, ...options }))
    .handler(testHandlers)
}
