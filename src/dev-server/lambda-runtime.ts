import { randomUUID } from 'node:crypto'
import type { Context } from 'aws-lambda'
import type { LambdaResponseStream } from './streaming.js'

/** A Lambda handler: async (Middy), or callback style. */
export type LambdaHandler = (
  // biome-ignore lint/suspicious/noExplicitAny: a Lambda handler takes whatever event its trigger sends
  event: any,
  context: Context,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown

/** How an invocation ended: its result, or the reason the runtime reports an error (and the error's stack). */
export type Outcome = { result: unknown } | { error: string; stack?: string }

/** A Lambda-like context whose remaining time counts down from `timeoutMs`. */
export function createLambdaContext(timeoutMs: number, functionName = 'middy-grpc-local'): Context {
  const end = Date.now() + timeoutMs
  const awsRequestId = randomUUID()
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }
}

/**
 * A buffered invocation, as the Lambda runtime runs it: the result of a returned promise, or what the handler passes
 * to the callback (a non-async handler of fewer than three parameters: the value it returns); an error after
 * `timeoutMs`.
 */
export function invokeBuffered(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  timeoutMs: number,
): Promise<Outcome> {
  return runWithin(timeoutMs, (settle, fail) =>
    callHandler(handler, event, context).then((result) => settle({ result }), fail),
  )
}

/**
 * The result of a buffered handler: what its promise resolves to, or what it passes to the callback (a non-async
 * handler of fewer than three parameters: the value it returns). Rejects with what it throws or passes as error.
 */
export function callHandler(handler: LambdaHandler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error?: unknown, result?: unknown): void =>
      error ? reject(error) : resolve(result),
    )
    if (isThenable(returned)) returned.then(resolve, reject)
    else if (handler.length < 3) resolve(returned)
  })
}

/**
 * A streamed invocation (`awslambda.streamifyResponse`): `(event, responseStream, context)`; the invocation ends when
 * the handler has resolved and the stream has flushed (the stream is ended for it if it did not), or fails after
 * `timeoutMs`.
 */
export function invokeStreaming(
  handler: LambdaHandler,
  event: unknown,
  stream: LambdaResponseStream,
  context: Context,
  timeoutMs: number,
): Promise<Outcome> {
  return runWithin(timeoutMs, (settle, fail) => {
    const run = async (): Promise<void> => {
      await handler(event, stream as never, context as never)
      if (!stream.writableEnded) stream.end()
      await new Promise<void>((resolve) =>
        stream.writableFinished ? resolve() : stream.once('finish', () => resolve()),
      )
    }
    run().then(() => settle({ result: undefined }), fail)
  })
}

function runWithin(
  timeoutMs: number,
  start: (settle: (outcome: Outcome) => void, fail: (error: unknown) => void) => void,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false
    const settle = (outcome: Outcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const fail = (error: unknown): void =>
      settle({
        error: `the handler threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        stack: error instanceof Error ? error.stack : undefined,
      })
    const timer = setTimeout(
      () => settle({ error: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }),
      timeoutMs,
    )
    try {
      start(settle, fail)
    } catch (error) {
      fail(error)
    }
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}
