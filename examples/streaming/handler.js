import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import middy from '@middy/core'
import protobuf from 'protobufjs'
import { GrpcError, Status, grpcFraming, grpcRouter } from 'middy-grpc'

const root = protobuf.loadSync(fileURLToPath(new URL('./clock.proto', import.meta.url)))
const Clock = root.lookupService('clock.v1.Clock')

// Response streaming: Middy 7 takes an execution mode (`@middy/core/StreamifyResponse`), Middy 6 the
// `streamifyResponse` flag. This example runs on either; with one Middy version, write its form alone.
const streaming = await import('@middy/core/StreamifyResponse').then(
  ({ executionModeStreamifyResponse }) => ({ executionMode: executionModeStreamifyResponse }),
  () => ({ streamifyResponse: true }),
)

// timeoutEarlyInMillis: the same margin as grpcFraming's (50 ms by default), room to answer before the function ends.
export const handler = middy({ ...streaming, timeoutEarlyInMillis: 50 })
  .use(grpcFraming({ service: Clock, streamifyResponse: true }))
  .handler(
    grpcRouter({
      // Each tick is framed and written to the response stream as soon as it is yielded.
      async *Tick(event) {
        const { count, intervalMs } = event.message
        if (count > 1000) throw new GrpcError(Status.INVALID_ARGUMENT, 'at most 1000 ticks')
        for (let index = 0; index < count; index++) {
          if (index > 0) await sleep(intervalMs, undefined, { signal: event.grpc.signal })
          yield { index, time: new Date().toISOString() }
        }
      },
    }),
  )
