import { GrpcError, Metadata, Status } from '../../src/index.js'
import { shapes } from '../fuzz/support.js'
import { callAs, failingLambda, rpcProtocols } from './support.js'

// Every error reply fits through every front door: the message is capped at 1024 UTF-8 bytes (then " [truncated]"),
// and an error whose metadata or details would not fit is sent as its status and message alone.

/** What each front door takes: the Lambda result's JSON (1 MB behind ALB, 6 MB otherwise), headers within 8 KiB. */
function assertFits(result: unknown, shape: string): void {
  const json = JSON.stringify(result)
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(shape.startsWith('alb') ? 1024 * 1024 : 6 * 1024 * 1024)
  const { headers = {}, multiValueHeaders = {} } = result as {
    headers?: Record<string, string>
    multiValueHeaders?: Record<string, string[]>
  }
  let headerBytes = 0
  for (const [name, value] of Object.entries(headers)) headerBytes += name.length + Buffer.byteLength(value) + 4
  for (const [name, values] of Object.entries(multiValueHeaders))
    for (const value of values) headerBytes += name.length + Buffer.byteLength(value) + 4
  expect(headerBytes).toBeLessThanOrEqual(8 * 1024)
}

const clientInput = 'x'.repeat(8 * 1024 * 1024)
/** 200 entries of 100 bytes: 20 KB of metadata, more than any front door's response headers. */
function bulkyMetadata(): Metadata {
  const metadata = new Metadata()
  for (let i = 0; i < 200; i++) metadata.append(`x-meta-${i}`, 'v'.repeat(100))
  return metadata
}

describe.each(shapes)('%s front door', (shape) => {
  test.each(rpcProtocols)('$family: an 8 MB GrpcError message is cut to 1024 bytes', async (protocol) => {
    const lambda = failingLambda(() => {
      throw new GrpcError(Status.INVALID_ARGUMENT, `bad name: ${clientInput}`)
    }, [])
    const seen = await callAs(lambda, protocol, shape)
    assertFits(seen.result, shape)
    expect(seen.code).toBe(Status.INVALID_ARGUMENT)
    expect(seen.message).toBe(`bad name: ${'x'.repeat(1024 - 'bad name: '.length)} [truncated]`)
  })

  test.each(rpcProtocols)(
    '$family: metadata and details too large for the front door: status and message alone',
    async (protocol) => {
      const lambda = failingLambda(() => {
        throw new GrpcError(Status.ABORTED, 'try again', {
          metadata: bulkyMetadata(),
          details: [{ type: 'fuzz.v1.Node', value: new Uint8Array(7 * 1024 * 1024) }],
        })
      }, [])
      const seen = await callAs(lambda, protocol, shape)
      assertFits(seen.result, shape)
      expect([seen.code, seen.message]).toEqual([Status.ABORTED, 'try again'])
    },
  )
})

test('a multi-byte message is cut at a character boundary', () => {
  const error = new GrpcError(Status.INVALID_ARGUMENT, '😀'.repeat(1000))
  expect(error.message).toBe(`${'😀'.repeat(256)} [truncated]`)
  expect(new GrpcError(Status.INVALID_ARGUMENT, 'é'.repeat(512)).message).toBe('é'.repeat(512))
  expect(new GrpcError(Status.INVALID_ARGUMENT, 'é'.repeat(513)).message).toBe(`${'é'.repeat(512)} [truncated]`)
})

test.each(rpcProtocols)(
  '$family, REST API (headers written twice): headers and trailers the handler set before failing, too large, are dropped',
  async (protocol) => {
    const lambda = failingLambda((call) => {
      for (let i = 0; i < 3; i++) call.responseHeader.set(`x-header-${i}`, 'h'.repeat(1000))
      for (let i = 0; i < 3; i++) call.responseTrailer.set(`x-trailer-${i}`, 't'.repeat(1000))
      throw new GrpcError(Status.UNAVAILABLE, 'later')
    }, [])
    const seen = await callAs(lambda, protocol, 'v1')
    assertFits(seen.result, 'v1')
    expect([seen.code, seen.message]).toEqual([Status.UNAVAILABLE, 'later'])
  },
)

const headerCarried = rpcProtocols.filter(({ family }) => family === 'grpc' || family === 'connect')

test.each(headerCarried)(
  '$family, whose error metadata travels as headers: 20 KB of it is dropped',
  async (protocol) => {
    const seen = await callAs(
      failingLambda(() => {
        throw new GrpcError(Status.ABORTED, 'try again', { metadata: bulkyMetadata() })
      }, []),
      protocol,
      'v2',
    )
    assertFits(seen.result, 'v2')
    expect([seen.code, seen.message]).toEqual([Status.ABORTED, 'try again'])
    expect(seen.read.headers['x-meta-0']).toBeUndefined()
  },
)

test('headers that fit are kept', async () => {
  const lambda = failingLambda((call) => {
    call.responseHeader.set('x-header', 'kept')
    throw new GrpcError(Status.UNAVAILABLE, 'later', { metadata: { 'x-meta': 'kept too' } })
  }, [])
  const seen = await callAs(lambda, rpcProtocols[2], 'v1')
  expect(seen.read.headers['x-header']).toBe('kept')
  expect(seen.read.headers['x-meta']).toBe('kept too')
})
