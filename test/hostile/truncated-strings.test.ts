import { type ErrorLogEntry, Status } from '../../src/index.js'
import { callAs, failingLambda, rpcProtocols } from './support.js'

// protobufjs 7 read `0a 05` (field 1, a string claiming 5 bytes, none present) as name: '' and handed the handler
// a valid-looking message. A truncated request message is undecodable: INTERNAL, as gRPC asks (Twirp: malformed).

test.each(rpcProtocols)('$family: a truncated string field never reaches the handler', async (protocol) => {
  const logged: ErrorLogEntry[] = []
  let handled = 0
  const lambda = failingLambda(() => {
    handled++
    return {}
  }, logged)
  for (const bytes of [
    [0x0a, 0x05],
    [0x0a, 0x05, 0x61],
    [0x4a, 0x02, 0x0a, 0x05],
  ]) {
    const seen = await callAs(lambda, protocol, 'v2', Uint8Array.from(bytes))
    const expected = protocol.family === 'twirp' ? Status.INVALID_ARGUMENT : Status.INTERNAL
    expect([seen.code, seen.message]).toEqual([expected, 'failed to decode request message: truncated message'])
  }
  expect(handled).toBe(0)
})
