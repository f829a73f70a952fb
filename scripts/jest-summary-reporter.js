// A jest reporter that ends every run with one plain line, `N passed, N failed`, which CI reads. Suites that could
// not run (a syntax error, a failing import) count as failed. When MIDDY_GRPC_TEST_SUMMARY names a file, the counts
// are also appended to it as a JSON line, so that .ci/run can add up its stages.
import { appendFileSync } from 'node:fs'

export default class SummaryReporter {
  onRunComplete(_testContexts, results) {
    const passed = results.numPassedTests
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites
    const skipped = results.numPendingTests + results.numTodoTests
    let text = `\n${passed} passed, ${failed} failed\n`
    if (skipped > 0) text += `(${skipped} skipped or todo)\n`
    process.stdout.write(text)
    const summaryFile = process.env.MIDDY_GRPC_TEST_SUMMARY
    if (summaryFile) {
      appendFileSync(summaryFile, `${JSON.stringify({ passed, failed, skipped, node: process.version })}\n`)
    }
  }
}
