import { writeFileSync } from 'node:fs'
import { runConformance } from './conformance/runner.js'
import { createConformanceLambda } from './conformance/service.js'
import { trailerFrame } from './support/frames.js'

// The Connect conformance replay (test/conformance/runner.ts). `npm run test:conformance` runs only this file;
// CONFORMANCE_FILTER=text limits it to cases whose name contains the text, CONFORMANCE_VERBOSE=1 prints the
// known failures too, CONFORMANCE_TRACE=1 every request and response.
test('Connect conformance suites replay without unexpected results', async () => {
  const report = await runConformance({
    filter: process.env.CONFORMANCE_FILTER || undefined,
    verbose: process.env.CONFORMANCE_VERBOSE === '1',
    trace: process.env.CONFORMANCE_TRACE === '1',
    // Straight to stdout: jest's console capture would bury the counts under stack locations.
    print: (line) => process.stdout.write(`${line}\n`),
  })
  // The suites live beside the clone (../shared/conformance/suites, or CONFORMANCE_SUITES): without them nothing
  // is proved, so the replay fails rather than passing empty.
  expect(report.ran).toBe(true)
  // For maintaining known-failing.txt: every case with its outcome, as JSON.
  if (process.env.CONFORMANCE_OUTCOMES)
    writeFileSync(process.env.CONFORMANCE_OUTCOMES, JSON.stringify(report.outcomes, null, 1))
  // The report above lists each unexpected result with its reasons.
  expect({ unexpected: report.unexpected.length, stalePatterns: report.stalePatterns }).toEqual({
    unexpected: 0,
    stalePatterns: [],
  })
  expect(report.passed).toBeGreaterThan(0)
}, 180_000)

// The replay's own checks must catch what the reference client catches: a server that breaks the wire format in
// small ways has to fail.
describe('the replay catches wire deviations', () => {
  const conformance = createConformanceLambda()
  type Result = { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }

  /** The conformance Lambda with its result bodies rewritten. */
  const tampered = (rewrite: (body: Buffer, result: Result) => Buffer) => async (event: unknown, context: unknown) => {
    const result = (await conformance(event as never, context as never)) as Result
    const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8')
    const rewritten = rewrite(body, result)
    return { ...result, body: rewritten.toString('base64'), isBase64Encoded: true }
  }

  async function failures(
    filter: string,
    lambda: (event: unknown, context: unknown) => Promise<unknown>,
  ): Promise<string> {
    const report = await runConformance({ filter, lambda, knownFailingFile: '/nonexistent/known-failing.txt' })
    expect(report.ran).toBe(true)
    expect(report.failed).toBeGreaterThan(0)
    return report.lines.join('\n')
  }

  /** Standard base64 padding, which servers must not send. */
  const pad = (value: string) => value + '='.repeat((4 - (value.length % 4)) % 4)
  /**
   * The case's details are a multiple of 3 bytes long, which base64 never pads: two more bytes (an empty field 1,
   * 0x0a 0x00) make a value whose base64 needs padding, so that `pad` changes it. Unpadded base64 out.
   */
  function paddable(value: string): string {
    const bytes = Buffer.concat([Buffer.from(value, 'base64'), Buffer.from([0x0a, 0x00])])
    expect(bytes.length % 3).not.toBe(0)
    return bytes.toString('base64').replace(/=+$/, '')
  }

  const grpcWebCase =
    'Errors/HTTPVersion:1/Protocol:PROTOCOL_GRPC_WEB/Codec:CODEC_PROTO/Compression:COMPRESSION_IDENTITY/TLS:false/unary/not-found'
  const connectCase =
    'Errors/HTTPVersion:1/Protocol:PROTOCOL_CONNECT/Codec:CODEC_PROTO/Compression:COMPRESSION_IDENTITY/TLS:false/unary/not-found'

  test('a gRPC-Web trailer block with LF lines, a capitalized key, a padded details value', async () => {
    const text = await failures(
      grpcWebCase,
      tampered((body) => {
        let block = body.subarray(5).toString('latin1')
        block = block.replace('grpc-status:', 'Grpc-Status:').replaceAll('\r\n', '\n')
        block = block.replace(
          /(grpc-status-details-bin: )([A-Za-z0-9+/]+)/,
          (_, key: string, value: string) => key + pad(paddable(value)),
        )
        return trailerFrame(block)
      }),
    )
    expect(text).toContain('non-lower-case field key')
    expect(text).toContain('LF line ending instead of CRLF')
    expect(text).toContain('is padded base64, but servers should emit unpadded')
  })

  test('a Connect error body with an extra key and padded detail values', async () => {
    const text = await failures(
      connectCase,
      tampered((body) => {
        const json = JSON.parse(body.toString('utf8'))
        for (const detail of json.details) detail.value = pad(paddable(detail.value))
        json.extra = true
        return Buffer.from(JSON.stringify(json))
      }),
    )
    expect(text).toContain('invalid key "extra"')
    expect(text).toContain('servers should emit unpadded')
  })

  test('a Connect error body with a duplicate key', async () => {
    const text = await failures(
      connectCase,
      tampered((body) => Buffer.from(body.toString('utf8').replace('{', '{"code":"internal",'))),
    )
    expect(text).toContain('duplicate key "code"')
  })

  test('a gRPC-Web status that disagrees with its details', async () => {
    const text = await failures(
      grpcWebCase,
      tampered((body) => {
        const block = body.subarray(5).toString('latin1').replace('grpc-status: 5', 'grpc-status: 6')
        return trailerFrame(block)
      }),
    )
    expect(text).toContain("disagrees with 'grpc-status'")
  })
})

test('without the shared suites the replay says so and skips', async () => {
  const report = await runConformance({ suitesDirectory: '/nonexistent/conformance/suites' })
  expect(report.ran).toBe(false)
  expect(report.lines.join('\n')).toContain('is absent')
})
