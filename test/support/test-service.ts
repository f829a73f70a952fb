import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { GrpcError, grpcFraming, grpcRouter, type GrpcFramingOptions, type StatusCode } from '../../src/index.js'

export const testRoot = protobuf.loadSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'proto', 'test.proto'))
export const TestService = testRoot.lookupService('test.v1.TestService')
export const ErrorInfo = testRoot.lookupType('test.v1.ErrorInfo')

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  })

/** The handlers behind the interop tests. */
export const testHandlers = grpcRouter({
  async Echo(event) {
    const { message, grpc } = event
    if (message.delayMs > 0) await sleep(message.delayMs, grpc.signal)
    for (const [name, value] of grpc.requestHeader) {
      if (name.startsWith('x-echo-')) grpc.responseHeader.append(name, value)
      if (name.startsWith('x-trailer-')) grpc.responseTrailer.append(name, value)
    }
    return {
      text: message.text,
      payload: message.replyBytes > 0 ? new Uint8Array(message.replyBytes).fill(7) : message.payload,
      headers: [...grpc.requestHeader].map(([name, value]) => `${name}: ${value}`),
      timeoutMs: grpc.timeoutMs ?? -1,
      protocol: grpc.protocol,
      number: message.number,
    }
  },
  async Fail(event) {
    const { code, message, withDetails } = event.message
    event.grpc.responseTrailer.set('x-failed', 'yes')
    throw new GrpcError(code as StatusCode, message, {
      details: withDetails ? [ErrorInfo.create({ reason: 'TEST_REASON', metadata: { a: 'b' } })] : [],
      metadata: { 'x-error-meta': 'present' },
    })
  },
  Lookup: async (event) => ({ text: `found ${event.message.text}` }),
})

export function createTestLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy().use(grpcFraming({ service: TestService, logger: false, ...options })).handler(testHandlers)
}
