import { spawn, type ChildProcess } from 'node:child_process'
import { request as httpRequest, type Agent } from 'node:http'
import { connect as http2Connect, constants as http2Constants, type IncomingHttpHeaders } from 'node:http2'

export interface Http1Reply {
  status: number
  /** Raw header pairs, lower-cased names. */
  headers: [string, string][]
  body: Buffer
  localPort: number | undefined
}

export function http1Call(
  baseUrl: string,
  init: {
    method?: string
    path: string
    headers?: Record<string, string | string[]>
    body?: Uint8Array
    agent?: Agent
  },
): Promise<Http1Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${baseUrl}${init.path}`,
      { method: init.method ?? 'POST', headers: init.headers, agent: init.agent, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const headers: [string, string][] = []
          for (let i = 0; i < response.rawHeaders.length; i += 2)
            headers.push([response.rawHeaders[i].toLowerCase(), response.rawHeaders[i + 1]])
          resolve({
            status: response.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks),
            localPort: response.socket?.localPort,
          })
        })
        response.on('error', reject)
      },
    )
    request.on('timeout', () => request.destroy(new Error('HTTP/1.1 request timed out')))
    request.on('error', reject)
    request.end(init.body)
  })
}

export interface Http2Reply {
  headers: IncomingHttpHeaders
  /** The response HEADERS frame carried END_STREAM (Trailers-Only). */
  headersEndStream: boolean
  trailers: IncomingHttpHeaders | undefined
  body: Buffer
}

/** One request over a fresh h2c connection, recording whether the status came in headers or in real trailers. */
export function http2Call(baseUrl: string, headers: Record<string, string>, body: Uint8Array): Promise<Http2Reply> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(baseUrl)
    const timer = setTimeout(() => {
      session.destroy()
      reject(new Error('HTTP/2 request timed out'))
    }, 10_000)
    session.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    const stream = session.request({ ':method': 'POST', ...headers })
    let responseHeaders: IncomingHttpHeaders = {}
    let headersEndStream = false
    let trailers: IncomingHttpHeaders | undefined
    const chunks: Buffer[] = []
    stream.on('response', (received, flags) => {
      responseHeaders = received
      headersEndStream = (flags & http2Constants.NGHTTP2_FLAG_END_STREAM) !== 0
    })
    stream.on('trailers', (received) => {
      trailers = received
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      clearTimeout(timer)
      session.close()
      resolve({ headers: responseHeaders, headersEndStream, trailers, body: Buffer.concat(chunks) })
    })
    stream.on('error', (error) => {
      clearTimeout(timer)
      session.destroy()
      reject(error)
    })
    stream.end(body)
  })
}

export interface CliProcess {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name), rejects after `timeoutMs`. */
  exited: (timeoutMs: number) => Promise<number | string>
  /** Resolves with the first stdout match of `pattern`, rejects after `timeoutMs` or at exit. */
  waitForOutput: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>
}

export function spawnCli(args: string[], cwd: string): CliProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  )
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: (timeoutMs) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`CLI did not exit in ${timeoutMs} ms`)), timeoutMs).unref(),
        ),
      ]),
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = stdout.match(pattern)
          if (match === null) return false
          cleanup()
          resolve(match)
          return true
        }
        const onData = (): void => void check()
        const onExit = (): void => {
          if (check()) return
          cleanup()
          reject(new Error(`CLI exited before printing ${pattern}; stderr: ${stderr}`))
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`CLI did not print ${pattern} in ${timeoutMs} ms; stderr: ${stderr}`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          child.stdout!.off('data', onData)
          child.off('exit', onExit)
        }
        child.stdout!.on('data', onData)
        child.on('exit', onExit)
        check()
      }),
  }
}
