import { createError } from '@middy/util'
import { type ErrorLogEntry, GrpcError, Status } from '../../src/index.js'
import { secret } from '../fuzz/support.js'
import { type ErrorHandlerPlace, callAs, failingLambda, rpcProtocols } from './support.js'

// A message reaches the client only when the value the handler threw says `expose: true` itself. AWS SDK service
// errors and HTTP client errors carry a 4xx `statusCode` and no `expose`: their messages hold ARNs and account ids.

/** What an AWS SDK v2 AccessDenied looks like: an Error with an HTTP statusCode, and no `expose`. */
const sdkError = () => Object.assign(new Error(secret), { code: 'AccessDenied', statusCode: 403 })

const places: ErrorHandlerPlace[] = ['none', 'before grpcFraming', 'after grpcFraming']

describe.each(places)('grpcRouter, @middy/http-error-handler: %s', (place) => {
  describe.each(rpcProtocols)('$family', (protocol) => {
    test('a 403 without expose: PERMISSION_DENIED with the status name, the original logged', async () => {
      const logged: ErrorLogEntry[] = []
      const thrown = sdkError()
      const seen = await callAs(
        failingLambda(
          () => {
            throw thrown
          },
          logged,
          place,
        ),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.PERMISSION_DENIED, 'PERMISSION_DENIED'])
      expect(logged.map((entry) => entry.cause)).toEqual([thrown])
    })

    test('a plain object with a 404 statusCode and no expose: NOT_FOUND, message hidden', async () => {
      const seen = await callAs(
        failingLambda(
          () => {
            throw { statusCode: 404, message: secret }
          },
          [],
          place,
        ),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.NOT_FOUND, 'NOT_FOUND'])
    })

    test('expose: true on the thrown error (createError(404)) sends its message', async () => {
      const seen = await callAs(
        failingLambda(
          () => {
            throw createError(404, 'no such node')
          },
          [],
          place,
        ),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.NOT_FOUND, 'no such node'])
    })

    test('a GrpcError keeps its message', async () => {
      const seen = await callAs(
        failingLambda(
          () => {
            throw new GrpcError(Status.FAILED_PRECONDITION, 'not yet')
          },
          [],
          place,
        ),
        protocol,
      )
      expect([seen.code, seen.message]).toEqual([Status.FAILED_PRECONDITION, 'not yet'])
    })
  })
})

describe('a plain handler (no grpcRouter)', () => {
  const unary = rpcProtocols.filter((protocol) => protocol.family !== 'connect-stream')

  test.each(unary)('$family without http-error-handler: the 403 message is hidden', async (protocol) => {
    const seen = await callAs(
      failingLambda(
        () => {
          throw sdkError()
        },
        [],
        'none',
        false,
      ),
      protocol,
    )
    expect([seen.code, seen.message]).toEqual([Status.PERMISSION_DENIED, 'PERMISSION_DENIED'])
  })

  // Documented: behind @middy/http-error-handler (its onError first), what reaches grpcFraming is what it left, with
  // the `expose` it decided (true for every 4xx): it decides.
  test.each(unary)('$family behind http-error-handler: it decides (it exposes 4xx)', async (protocol) => {
    const seen = await callAs(
      failingLambda(
        () => {
          throw Object.assign(new Error('shown by http-error-handler'), { statusCode: 403 })
        },
        [],
        'after grpcFraming',
        false,
      ),
      protocol,
    )
    expect([seen.code, seen.message]).toEqual([Status.PERMISSION_DENIED, 'shown by http-error-handler'])
  })
})
