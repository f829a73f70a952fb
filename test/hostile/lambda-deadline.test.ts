import { jest } from '@jest/globals'
import middy from '@middy/core'
import { type ErrorLogEntry, type GrpcFramingOptions, Status, grpcFraming, grpcRouter } from '../../src/index.js'
import { FuzzService, assertWellFormed, httpEvent } from '../fuzz/support.js'
import { frame } from '../support/frames.js'

// The Lambda's own deadline leaves room to answer: event.grpc.deadline and the signal come `timeoutEarlyInMillis`
// (default 50) before the function's end, and Middy's early timeout, set to the same margin, is answered
// DEADLINE_EXCEEDED. Fake timers and a fake context: no wall clock.

const functionTimeoutMs = 1000

/** A Lambda context whose remaining time counts down on the (fake) clock from `functionTimeoutMs`. */
function fakeContext() {
  const endsAt = Date.now() + functionTimeoutMs
  return { awsRequestId: 'req-deadline', getRemainingTimeInMillis: () => endsAt - Date.now() }
}

const request = () =>
  httpEvent('v2', { headers: [['content-type', 'application/grpc-web+proto']], body: frame(0, new Uint8Array(0)) })

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  jest.useRealTimers()
})

/** Settles `pending` by stepping the fake clock 1 ms at a time; returns how long that took. */
async function settleAfter(pending: Promise<unknown>): Promise<{ result: unknown; elapsedMs: number }> {
  const started = Date.now()
  let settled = false
  let result: unknown
  void pending.then((value) => {
    settled = true
    result = value
  })
  while (!settled && Date.now() - started < 2 * functionTimeoutMs) await jest.advanceTimersByTimeAsync(1)
  return { result, elapsedMs: Date.now() - started }
}

function lambdaWith(
  options: Partial<GrpcFramingOptions>,
  middyMarginMs: number,
  echo: Parameters<typeof grpcRouter>[0]['Echo'],
) {
  return middy({ timeoutEarlyInMillis: middyMarginMs })
    .use(grpcFraming({ service: FuzzService, logger: false, ...options }))
    .handler(grpcRouter({ Echo: echo }))
}

test.each([
  [{}, 50],
  [{ timeoutEarlyInMillis: 200 }, 200],
  [{ timeoutEarlyInMillis: undefined }, 50],
])('event.grpc.deadline with %p is the function end less %i ms', async (options, marginMs) => {
  const context = fakeContext()
  let deadline = 0
  const lambda = lambdaWith(options, 5, async ({ grpc }) => {
    deadline = grpc.deadline
    return {}
  })
  const read = assertWellFormed(await lambda(request(), context as never), 'v2', 'grpc-web', false)
  expect(read.code).toBe(Status.OK)
  expect(deadline).toBe(Date.now() + functionTimeoutMs - marginMs)
})

test('the signal aborts timeoutEarlyInMillis before the end: a handler that heeds it answers then', async () => {
  let abortedAt = 0
  const lambda = lambdaWith({}, 5, async ({ grpc }) => {
    await new Promise((resolve) => grpc.signal.addEventListener('abort', resolve))
    abortedAt = Date.now()
    throw new DOMException('aborted', 'AbortError')
  })
  const started = Date.now()
  const { result, elapsedMs } = await settleAfter(lambda(request(), fakeContext() as never))
  expect(abortedAt - started).toBe(functionTimeoutMs - 50)
  expect(elapsedMs).toBe(functionTimeoutMs - 50)
  expect(assertWellFormed(result, 'v2', 'grpc-web', false).code).toBe(Status.DEADLINE_EXCEEDED)
})

// @middy/core imports setTimeout from node:timers, which jest's fake timers do not replace: this one runs on real
// timers, with a context that leaves Middy 1 ms, and asserts no timing, only the answer.
test("a handler that ignores the signal: Middy's early timeout (its own error, recognised) answers DEADLINE_EXCEEDED", async () => {
  jest.useRealTimers()
  const logged: ErrorLogEntry[] = []
  const lambda = middy({ timeoutEarlyInMillis: 50 })
    .use(grpcFraming({ service: FuzzService, logger: (entry) => logged.push(entry) }))
    .handler(grpcRouter({ Echo: () => new Promise(() => undefined) }))
  const context = { awsRequestId: 'req-deadline', getRemainingTimeInMillis: () => 51 }
  const result = await lambda(request(), context as never)
  expect(assertWellFormed(result, 'v2', 'grpc-web', false).code).toBe(Status.DEADLINE_EXCEEDED)
  expect(logged).toEqual([])
})
