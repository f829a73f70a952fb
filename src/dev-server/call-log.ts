import type { RequestHead } from './http-exchange.js'
import { describeProtocol } from './inspect.js'
import { headerValue } from './http-exchange.js'

/**
 * The log of one call: one line when it ends (method, path, protocol, HTTP version, outcome, duration), then its
 * notes (front-door warnings, stacks, `verbose` dumps).
 */
export class CallLog {
  readonly protocol: string
  readonly #notes: string[] = []
  readonly #started = performance.now()

  constructor(
    readonly head: RequestHead,
    readonly log: (line: string) => void,
  ) {
    this.protocol = describeProtocol(head.method, head.url, headerValue(head.headers, 'content-type'))
  }

  /** A warning (printed with `!`), or a dump line that starts with two spaces (printed as it is). */
  note(...lines: string[]): void {
    this.#notes.push(...lines)
  }

  finish(outcome: string, detail = ''): void {
    const duration = (performance.now() - this.#started).toFixed(1)
    const { method, url, httpVersion } = this.head
    this.log(`${method} ${url} ${this.protocol} ${httpVersion} → ${outcome}${detail} ${duration} ms`)
    for (const note of this.#notes) this.log(note.startsWith('  ') ? note : `  ! ${note}`)
  }
}
