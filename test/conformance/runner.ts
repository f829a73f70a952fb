import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EventShape } from '../../src/event/shape.js'
import { assertResult } from './assert.js'
import type { OutgoingHttpResponse } from '../../src/dev-server/index.js'
import { buildRequest, invokeLambda, readResponse, type HttpRequest, type LambdaFunction } from './client.js'
import { createConformanceLambda } from './service.js'
import { loadSuites, type ConformanceCase } from './suites.js'

/**
 * The Connect conformance replay: every applicable server-side case of the suites in ../shared/conformance/suites,
 * sent through a Lambda event shape to middy-grpc's ConformanceService, checked as the reference runner and
 * client check it. Each case runs through HTTP API v2 and through one more shape, rotating over REST v1, ALB
 * (single- and multi-value) and Function URL; it passes only when both pass.
 */

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..', '..')
export const defaultSuitesDirectory =
  process.env.CONFORMANCE_SUITES ?? resolve(repoRoot, '..', 'shared', 'conformance', 'suites')
export const defaultKnownFailingFile = join(here, 'known-failing.txt')

const secondShapes: EventShape[] = ['v1', 'alb', 'alb-multi', 'url']
const lambdaTimeoutMs = 30_000
const concurrency = 8

export interface KnownFailing {
  pattern: string
  reason: string
  matched: number
}

export interface CaseOutcome {
  name: string
  suite: string
  errors: string[]
  knownFailing?: KnownFailing
}

export interface SuiteCounts {
  passed: number
  failed: number
  knownFailing: number
  skipped: number
}

export interface ConformanceReport {
  /** False when the suites directory is absent: nothing ran. */
  ran: boolean
  passed: number
  /** Unexpected results: failures not on the known-failing list, and listed cases that passed. */
  failed: number
  /** Listed cases that failed, as expected. */
  knownFailing: number
  skipped: number
  suites: Map<string, SuiteCounts>
  unexpected: string[]
  /** Known-failing patterns that matched no case. */
  stalePatterns: string[]
  /** Every case that ran, with whether it failed. */
  outcomes: { name: string; failed: boolean }[]
  lines: string[]
}

export interface RunOptions {
  suitesDirectory?: string
  knownFailingFile?: string
  /** Only cases whose name contains this text. */
  filter?: string
  /** Print every failure, including expected ones. */
  verbose?: boolean
  /** Print every request and response (best with a filter). */
  trace?: boolean
  lambda?: LambdaFunction
  /** Receives the report line by line as it is written. */
  print?: (line: string) => void
}

/** One pattern a line, components separated by `/`, `*` for one component and `**` for any number; `# reason`. */
export function parseKnownFailing(text: string): KnownFailing[] {
  const entries: KnownFailing[] = []
  let reason = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (line.startsWith('#')) {
      reason = line.slice(1).trim()
      continue
    }
    const hash = line.indexOf(' #')
    const pattern = (hash === -1 ? line : line.slice(0, hash)).trim()
    entries.push({ pattern, reason: hash === -1 ? reason : line.slice(hash + 2).trim(), matched: 0 })
  }
  return entries
}

export function matchesPattern(pattern: string, name: string): boolean {
  const match = (p: string[], n: string[]): boolean => {
    if (p.length === 0) return n.length === 0
    const [first, ...rest] = p
    if (first === '**') {
      for (let skip = 0; skip <= n.length; skip++) if (match(rest, n.slice(skip))) return true
      return false
    }
    if (n.length === 0) return false
    return (first === '*' || first === n[0]) && match(rest, n.slice(1))
  }
  return match(pattern.split('/'), name.split('/'))
}

/**
 * An ALB target group without multi-value headers keeps only the last value of a repeated request header (as AWS
 * documents), so cases that repeat one go through the multi-value form instead.
 */
function repeatsRequestHeader(c: ConformanceCase): boolean {
  return c.requestHeaders.some((h) => h.value.length > 1)
}

function describeExchange(shape: EventShape, request: HttpRequest, response: OutgoingHttpResponse): string {
  const body = (bytes: Uint8Array) => JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 600))
  return [
    `[${shape}] ${request.method} ${request.url}`,
    ...request.headers.map(([name, value]) => `  > ${name}: ${value}`),
    `  > ${body(request.body)}`,
    `  < ${response.status}`,
    ...response.headers.map(([name, value]) => `  < ${name}: ${value}`),
    `  < ${body(response.body)}`,
  ].join('\n')
}

async function runCase(
  lambda: LambdaFunction,
  c: ConformanceCase,
  index: number,
  trace?: (text: string) => void,
): Promise<string[]> {
  let second = secondShapes[index % secondShapes.length]
  if (second === 'alb' && repeatsRequestHeader(c)) second = 'alb-multi'
  const shapes: EventShape[] = ['v2', second]
  const errors: string[] = []
  for (const shape of shapes) {
    const deadline = c.timeoutMs === undefined ? undefined : Date.now() + c.timeoutMs
    const request = buildRequest(c, deadline)
    const { response, feedback } = await invokeLambda(lambda, request, shape, lambdaTimeoutMs)
    trace?.(`${c.name}\n${describeExchange(shape, request, response)}`)
    const result = readResponse(c, response)
    result.feedback.unshift(...feedback)
    for (const error of assertResult(c, result)) errors.push(`[${shape}] ${error}`)
  }
  return errors
}

async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index], index)
    }
  })
  await Promise.all(workers)
  return results
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')

export async function runConformance(options: RunOptions = {}): Promise<ConformanceReport> {
  const lines: string[] = []
  const print = (line: string) => {
    lines.push(line)
    options.print?.(line)
  }
  const suitesDirectory = options.suitesDirectory ?? defaultSuitesDirectory
  const report: ConformanceReport = {
    ran: false,
    passed: 0,
    failed: 0,
    knownFailing: 0,
    skipped: 0,
    suites: new Map(),
    unexpected: [],
    stalePatterns: [],
    outcomes: [],
    lines,
  }
  if (!existsSync(suitesDirectory)) {
    print(`conformance: ${suitesDirectory} is absent (a clone without the shared suites); skipping the replay`)
    return report
  }
  report.ran = true
  const knownFailingFile = options.knownFailingFile ?? defaultKnownFailingFile
  const known = existsSync(knownFailingFile) ? parseKnownFailing(readFileSync(knownFailingFile, 'utf8')) : []
  const lambda = options.lambda ?? (createConformanceLambda() as unknown as LambdaFunction)

  const suites = loadSuites(suitesDirectory)
  const cases = suites
    .flatMap((suite) => suite.cases)
    .filter((c) => options.filter === undefined || c.name.includes(options.filter))
  const started = Date.now()
  const outcomes = await pool(cases, concurrency, async (c, index): Promise<CaseOutcome> => {
    let errors: string[]
    try {
      errors = await runCase(lambda, c, index, options.trace ? print : undefined)
    } catch (error) {
      errors = [`runner error: ${(error as Error).stack ?? String(error)}`]
    }
    const knownFailing = known.find((entry) => matchesPattern(entry.pattern, c.name))
    if (knownFailing !== undefined) knownFailing.matched++
    return { name: c.name, suite: c.suite, errors, knownFailing }
  })

  for (const suite of suites) {
    const skipped = suite.skipped.reduce((sum, s) => sum + s.count, 0)
    report.suites.set(suite.name, { passed: 0, failed: 0, knownFailing: 0, skipped })
    report.skipped += skipped
  }
  for (const outcome of outcomes.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const counts = report.suites.get(outcome.suite)!
    const failed = outcome.errors.length > 0
    report.outcomes.push({ name: outcome.name, failed })
    if (outcome.knownFailing !== undefined) {
      if (failed) {
        counts.knownFailing++
        report.knownFailing++
        if (options.verbose)
          print(
            `known failure: ${outcome.name} (${outcome.knownFailing.reason}):\n${indent(outcome.errors.join('\n'))}`,
          )
      } else {
        counts.failed++
        report.failed++
        report.unexpected.push(outcome.name)
        print(
          `FAILED: ${outcome.name} is listed as known-failing (${outcome.knownFailing.pattern}: ${outcome.knownFailing.reason}) but passed`,
        )
      }
    } else if (failed) {
      counts.failed++
      report.failed++
      report.unexpected.push(outcome.name)
      print(`FAILED: ${outcome.name}:\n${indent(outcome.errors.join('\n'))}`)
    } else {
      counts.passed++
      report.passed++
    }
  }
  if (options.filter === undefined) {
    report.stalePatterns = known.filter((entry) => entry.matched === 0).map((entry) => entry.pattern)
    for (const pattern of report.stalePatterns) print(`FAILED: known-failing pattern ${pattern} matches no case`)
  }

  print('')
  print('Connect conformance replay (server side, Lambda event shapes v2 + v1/alb/alb-multi/url):')
  const width = Math.max(...suites.map((s) => s.name.length))
  for (const suite of suites) {
    const counts = report.suites.get(suite.name)!
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`]
    if (counts.knownFailing > 0) parts.push(`${counts.knownFailing} known-failing`)
    parts.push(`${counts.skipped} skipped`)
    const reasons = suite.skipped.map((s) => `${s.count} ${s.reason}`).join('; ')
    print(`  ${suite.name.padEnd(width)}  ${parts.join(', ')}${reasons === '' ? '' : `  (skipped: ${reasons})`}`)
  }
  print(
    `${report.knownFailing} failed as expected (known-failing.txt); ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  print(`${report.passed} passed, ${report.failed + report.stalePatterns.length} failed, ${report.skipped} skipped`)
  return report
}
