import type { LambdaFunction } from '../conformance/client.js'
import { runConformance } from '../conformance/runner.js'
import { createConformanceEsLambda } from './conformance-es.js'

// The Connect conformance replay (test/conformance/runner.ts) against the conformance service on protobuf-es code:
// the same cases pass as with the protobufjs service (test/conformance.test.ts), with the same known-failing list.
test('the conformance replay passes the same cases with a protobuf-es service as with protobufjs', async () => {
  const print = (line: string) => process.stdout.write(`${line}\n`)
  const protobufEs = await runConformance({ lambda: createConformanceEsLambda() as unknown as LambdaFunction, print })
  expect(protobufEs.ran).toBe(true)
  const protobufjs = await runConformance({})
  expect({ unexpected: protobufEs.unexpected, stalePatterns: protobufEs.stalePatterns }).toEqual({
    unexpected: [],
    stalePatterns: [],
  })
  expect(protobufEs.outcomes).toEqual(protobufjs.outcomes)
  expect(protobufEs.passed).toBe(protobufjs.passed)
}, 180_000)
