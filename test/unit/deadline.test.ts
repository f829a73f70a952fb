import { jest } from '@jest/globals'
import { Deadline, deadlineExceeded, isMiddyTimeout } from '../../src/deadline.js'
import { GrpcError } from '../../src/grpc-error.js'
import { Status } from '../../src/status.js'

const lambda = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs })

describe('Deadline', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    jest.useRealTimers()
  })

  test('without a client timeout or a Lambda context there is none', () => {
    const deadline = new Deadline(undefined, undefined)
    expect(deadline.at).toBe(Infinity)
    expect(deadline.clientFirst).toBe(false)
    expect(deadline.expired).toBe(false)
    expect(deadline.signal.aborted).toBe(false)
    expect(jest.getTimerCount()).toBe(0)
  })

  test("the earlier of the client's and the Lambda's (less timeoutEarlyInMillis, 50 ms by default)", () => {
    expect(new Deadline(200, lambda(1000)).at).toBe(1_000_200)
    expect(new Deadline(200, lambda(1000)).clientFirst).toBe(true)
    expect(new Deadline(5000, lambda(1000)).at).toBe(1_000_950)
    expect(new Deadline(5000, lambda(1000)).clientFirst).toBe(false)
    expect(new Deadline(undefined, lambda(1000)).at).toBe(1_000_950)
    expect(new Deadline(undefined, lambda(1000), 300).at).toBe(1_000_700)
    expect(new Deadline(800, lambda(1000), 300).clientFirst).toBe(false)
  })

  test('a timeout past what setTimeout takes is capped at 2^31 - 1 ms', () => {
    expect(new Deadline(10 ** 12, undefined).at).toBe(1_000_000 + 2 ** 31 - 1)
  })

  test('the signal aborts with DEADLINE_EXCEEDED at the deadline, from one timer', () => {
    const deadline = new Deadline(100, undefined)
    const { signal } = deadline
    expect(jest.getTimerCount()).toBe(1)
    jest.advanceTimersByTime(99)
    expect(signal.aborted).toBe(false)
    expect(deadline.expired).toBe(false)
    jest.advanceTimersByTime(1)
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBeInstanceOf(GrpcError)
    expect((signal.reason as GrpcError).code).toBe(Status.DEADLINE_EXCEEDED)
    expect(deadline.expired).toBe(true)
  })

  test('race: the work when it comes first, DEADLINE_EXCEEDED (and the signal aborted) when the deadline does', async () => {
    const first = new Deadline(100, undefined)
    await expect(first.race(Promise.resolve('done'))).resolves.toBe('done')
    first.dispose()

    const second = new Deadline(100, undefined)
    const signal = second.signal
    const raced = second.race(new Promise(() => undefined))
    // The signal and the race share the one timer.
    expect(jest.getTimerCount()).toBe(1)
    jest.advanceTimersByTime(100)
    await expect(raced).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED, message: 'deadline exceeded' })
    expect(signal.aborted).toBe(true)
  })

  test('race without a deadline sets no timer', async () => {
    const deadline = new Deadline(undefined, undefined)
    await expect(deadline.race(Promise.resolve(1))).resolves.toBe(1)
    expect(jest.getTimerCount()).toBe(0)
  })

  test('expired reads the clock even when no timer was set', () => {
    const deadline = new Deadline(50, undefined)
    jest.setSystemTime(1_000_050)
    expect(deadline.expired).toBe(true)
  })

  test('abort stops the timer and aborts the signal with the reason given', () => {
    const deadline = new Deadline(100, undefined)
    const { signal } = deadline
    const reason = new GrpcError(Status.CANCELLED, 'gone')
    deadline.abort(reason)
    expect(jest.getTimerCount()).toBe(0)
    expect(signal.reason).toBe(reason)
    expect(deadline.expired).toBe(true)
  })

  test('dispose stops the timer: the signal does not fire after the call is over', () => {
    const deadline = new Deadline(100, undefined)
    const { signal } = deadline
    deadline.dispose()
    expect(jest.getTimerCount()).toBe(0)
    jest.advanceTimersByTime(1000)
    expect(signal.aborted).toBe(false)
  })

  test('deadlineExceeded keeps its cause', () => {
    const cause = new Error('timeout')
    const error = deadlineExceeded(cause)
    expect(error.code).toBe(Status.DEADLINE_EXCEEDED)
    expect(error.cause).toBe(cause)
  })
})

describe('isMiddyTimeout', () => {
  test("Middy's early-timeout error, as @middy/core 6 and 7 build it", () => {
    const error = new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } })
    error.name = 'TimeoutError'
    expect(isMiddyTimeout(error)).toBe(true)
  })

  test.each([
    ['AbortSignal.timeout()', new DOMException('timed out', 'TimeoutError')],
    ['a name alone', Object.assign(new Error('x'), { name: 'TimeoutError' })],
    [
      'another package',
      Object.assign(new Error('x', { cause: { package: '@aws-sdk/client-s3' } }), { name: 'TimeoutError' }),
    ],
    ['null', null],
    ['a string', 'TimeoutError'],
    [
      'a revoked Proxy',
      (() => {
        const r = Proxy.revocable({}, {})
        r.revoke()
        return r.proxy
      })(),
    ],
  ])('not %s', (_name, value) => {
    expect(isMiddyTimeout(value)).toBe(false)
  })
})
