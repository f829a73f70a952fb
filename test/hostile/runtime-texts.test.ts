import { type ErrorLogEntry, Status } from '../../src/index.js'
import { callAs, failingLambda, rpcProtocols } from './support.js'

// Runtime error texts never reach a client: a decoder's "index out of range: …" or V8's "Maximum call stack size
// exceeded" become fixed words. And a TimeoutError is this call's DEADLINE_EXCEEDED only when it is Middy's own.

describe('an undecodable request message: fixed words, not the decoder text', () => {
  // Node { data: 5 bytes claimed, 1 present }: field 2 (bytes), wire type 2, length 5, then one byte.
  const truncatedBytesField = Uint8Array.from([0x12, 0x05, 0x61])

  test.each(rpcProtocols)('$family', async (protocol) => {
    const logged: ErrorLogEntry[] = []
    const seen = await callAs(
      failingLambda(() => ({}), logged),
      protocol,
      'v2',
      truncatedBytesField,
    )
    const expected = protocol.family === 'twirp' ? Status.INVALID_ARGUMENT : Status.INTERNAL
    expect([seen.code, seen.message]).toEqual([expected, 'failed to decode request message: truncated message'])
    expect(seen.read.body.toString('latin1')).not.toMatch(/index out of range/)
  })
})

describe('a TimeoutError', () => {
  test.each(rpcProtocols)(
    "$family: AbortSignal.timeout()'s, before the deadline, is INTERNAL and logged",
    async (protocol) => {
      const logged: ErrorLogEntry[] = []
      const thrown = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
      const seen = await callAs(
        failingLambda(() => {
          throw thrown
        }, logged),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.INTERNAL, 'internal error'])
      expect(logged.map((entry) => entry.cause)).toEqual([thrown])
    },
  )

  test('an Error merely named TimeoutError is INTERNAL and logged', async () => {
    const logged: ErrorLogEntry[] = []
    const thrown = Object.assign(new Error('socket timeout'), { name: 'TimeoutError' })
    const seen = await callAs(
      failingLambda(() => {
        throw thrown
      }, logged),
      rpcProtocols[0],
    )
    expect(seen.code).toBe(Status.INTERNAL)
    expect(logged.map((entry) => entry.cause)).toEqual([thrown])
  })

  test.each(rpcProtocols)(
    "$family: Middy's own (@middy/core 6 and 7 build it so) is DEADLINE_EXCEEDED, not logged",
    async (protocol) => {
      const logged: ErrorLogEntry[] = []
      const seen = await callAs(
        failingLambda(() => {
          const error = new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } })
          error.name = 'TimeoutError'
          throw error
        }, logged),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.DEADLINE_EXCEEDED, 'deadline exceeded'])
      expect(logged).toEqual([])
    },
  )
})
