import { type ErrorLogEntry, Status } from '../../src/index.js'
import { shapes } from '../fuzz/support.js'
import { callAs, failingLambda, hostileValues, rpcProtocols } from './support.js'

// Values whose every inspection throws: an `instanceof`, a property read, a `?.` on them. Whatever the handler throws,
// the client gets INTERNAL with the fixed message, and the logger gets the value.

/** Compared by identity: jest's matchers would inspect the value, and throw. */
function loggedOnce(logged: ErrorLogEntry[], thrown: object): boolean {
  return logged.length === 1 && logged[0].cause === thrown
}

describe.each(hostileValues)('%s', (_name, make) => {
  test.each(rpcProtocols)(
    'thrown by a grpcRouter handler, $family: INTERNAL, fixed message, logged',
    async (protocol) => {
      const logged: ErrorLogEntry[] = []
      const thrown = make()
      const seen = await callAs(
        failingLambda(() => {
          throw thrown
        }, logged),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.INTERNAL, 'internal error'])
      expect(logged).toHaveLength(1)
      expect(logged[0].cause).toBe(thrown)
      expect(logged[0].error.code).toBe(Status.INTERNAL)
    },
  )

  test.each(shapes)('thrown by a plain handler, %s front door: INTERNAL, logged', async (shape) => {
    const logged: ErrorLogEntry[] = []
    const thrown = make()
    const lambda = failingLambda(
      () => {
        throw thrown
      },
      logged,
      'none',
      false,
    )
    const seen = await callAs(lambda, rpcProtocols[0], shape)
    expect([seen.code, seen.message]).toEqual([Status.INTERNAL, 'internal error'])
    expect(loggedOnce(logged, thrown)).toBe(true)
  })

  test.each(['before grpcFraming', 'after grpcFraming'] as const)(
    'thrown with @middy/http-error-handler %s: INTERNAL, logged',
    async (place) => {
      const logged: ErrorLogEntry[] = []
      const thrown = make()
      const seen = await callAs(
        failingLambda(
          () => {
            throw thrown
          },
          logged,
          place,
        ),
        rpcProtocols[0],
      )
      expect([seen.code, seen.message]).toEqual([Status.INTERNAL, 'internal error'])
      expect(loggedOnce(logged, thrown)).toBe(true)
    },
  )
})
