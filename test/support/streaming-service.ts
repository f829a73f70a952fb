import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { GrpcError, Status, grpcFraming, grpcRouter, type GrpcFramingOptions } from '../../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
export const streamingRoot = protobuf.loadSync(join(here, '..', 'proto', 'streaming.proto'))
export const StreamService = streamingRoot.lookupService('test.stream.v1.StreamService')

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
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

/** Every reply the handlers produced, with its time, so that tests can compare it with arrival times. */
export const produced: { index: number; at: number }[] = []

export const streamHandlers = grpcRouter({
  async *Count(event) {
    const { count, intervalMs, failAfter, replyBytes } = event.message
    event.grpc.responseHeader.set('x-stream', 'yes')
    for (let index = 0; index < count; index++) {
      if (failAfter > 0 && index === failAfter) throw new GrpcError(Status.ABORTED, `stopped after ${index}`)
      if (index > 0 && intervalMs > 0) await sleep(intervalMs, event.grpc.signal)
      if (event.grpc.signal.aborted) return
      const at = Date.now()
      produced.push({ index, at })
      // Random bytes: compression must not shrink what the size limits are tested with.
      yield { index, producedAt: at, payload: randomBytes(replyBytes) }
    }
    event.grpc.responseTrailer.set('x-count', String(count))
  },
})

const middyMajor = Number(
  JSON.parse(
    readFileSync(join(here, '..', '..', 'node_modules', '@middy', 'core', 'package.json'), 'utf8'),
  ).version.split('.')[0],
)

/** A streamified Middy handler: Middy 6 takes `streamifyResponse: true`, Middy 7 an execution mode. */
export async function streamifiedMiddy() {
  if (middyMajor < 7) return middy({ streamifyResponse: true } as never)
  const specifier = '@middy/core/StreamifyResponse'
  const { executionModeStreamifyResponse } = await import(specifier)
  return middy({ executionMode: executionModeStreamifyResponse } as never)
}

export async function createStreamingLambda(options: Partial<GrpcFramingOptions> = {}) {
  const base = await streamifiedMiddy()
  return base
    .use(grpcFraming({ service: StreamService, logger: false, streamifyResponse: true, ...options }))
    .handler(streamHandlers as never)
}

export function createBufferedLambda(options: Partial<GrpcFramingOptions> = {}) {
  return middy()
    .use(grpcFraming({ service: StreamService, logger: false, ...options }))
    .handler(streamHandlers)
}
