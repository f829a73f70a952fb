import { spawnSync } from 'node:child_process'
import { dirname, extname, relative, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { Context } from 'aws-lambda'
import type { DescribedServices } from './file-descriptors.js'
import type { LambdaHandler } from './lambda-runtime.js'
import { StartupError } from './load-handler.js'
import type { LambdaResponseStream } from './streaming.js'
import { watchFiles } from './watch-files.js'
import type { InvokeMessage, SerializedError, WatchWorkerData, WorkerMessage } from './watch-worker.js'

export interface WatchedHandler {
  /** Invokes the version serving now; its arity and streaming match the first version loaded. */
  handler: LambdaHandler
  /** The first version was streamified (`awslambda.streamifyResponse`); a version that differs is not switched to. */
  streaming: boolean
  /** `module#export` */
  label: string
  /** The services of the version serving now, for reflection. */
  describe(): DescribedServices
}

export interface WatchOptions {
  /** What `target` is relative to. Default: the working directory. */
  cwd?: string
  log: (line: string) => void
}

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  stream?: LambdaResponseStream
}

type Ready = Extract<WorkerMessage, { type: 'ready' }>

let nextInvocationId = 0

/** One loaded version of the handler: a worker thread, its calls in flight, terminated once retired and idle. */
class HandlerVersion {
  readonly worker: Worker
  readonly ready: Promise<Ready>
  readonly #pending = new Map<number, Pending>()
  #loaded = false
  #retired = false
  #exited = false

  constructor(data: WatchWorkerData, onExit: (version: HandlerVersion, code: number) => void) {
    this.worker = new Worker(new URL('./watch-worker.js', import.meta.url), { workerData: data })
    this.ready = new Promise<Ready>((resolveReady, rejectReady) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          this.#loaded = true
          return resolveReady(message)
        }
        if (message.type === 'failed') return rejectReady(loadError(message))
        this.#settle(message)
      })
      this.worker.on('error', (error) => rejectReady(error))
      this.worker.on('exit', (code) => {
        this.#exited = true
        rejectReady(new Error(`the handler's worker exited with code ${code} while loading`))
        for (const pending of this.#pending.values())
          pending.reject(new Error(`the handler's worker exited with code ${code} during the call`))
        this.#pending.clear()
        if (this.#loaded && !this.#retired) onExit(this, code)
      })
    })
  }

  invoke(event: unknown, context: Context, stream?: LambdaResponseStream): Promise<unknown> {
    const id = nextInvocationId++
    return new Promise((resolveCall, rejectCall) => {
      if (this.#exited) return rejectCall(new Error("the handler's worker has exited: save a file to reload it"))
      this.#pending.set(id, { resolve: resolveCall, reject: rejectCall, stream })
      const message: InvokeMessage = {
        id,
        event,
        remainingMs: context.getRemainingTimeInMillis(),
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        streaming: stream !== undefined,
      }
      this.worker.postMessage(message)
    })
  }

  /** No new calls come; the worker goes once the calls in flight have finished. */
  retire(): void {
    this.#retired = true
    if (this.#pending.size === 0) void this.worker.terminate()
  }

  #settle(message: Exclude<WorkerMessage, { type: 'ready' | 'failed' }>): void {
    const pending = this.#pending.get(message.id)
    if (pending === undefined) return
    if (message.type === 'contentType') pending.stream?.setContentType(message.value)
    else if (message.type === 'chunk') pending.stream?.write(Buffer.from(message.data))
    else if (message.type === 'end') pending.stream?.end()
    else {
      this.#pending.delete(message.id)
      if (message.type === 'result') pending.resolve(message.result)
      else pending.reject(revive(message.error))
      if (this.#retired && this.#pending.size === 0) void this.worker.terminate()
    }
  }
}

/** The error a handler threw in its worker, as the dev server reports a handler's error. */
function revive({ name, message, stack }: SerializedError): Error {
  const error = new Error(message)
  error.name = name
  error.stack = stack
  return error
}

function loadError({ startup, ...error }: Extract<WorkerMessage, { type: 'failed' }>): Error {
  return startup ? new StartupError(error.message) : revive(error)
}

/**
 * Where the syntax errors are: an ES module's SyntaxError carries no file or line, so each changed JavaScript file
 * is checked with `node --check`, which prints them.
 */
function locateSyntaxErrors(files: readonly string[]): string[] {
  return files
    .filter((file) => ['.js', '.mjs', '.cjs'].includes(extname(file)))
    .map((file) => spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 }))
    .filter((check) => check.status !== 0 && check.stderr.trim() !== '')
    .map((check) =>
      check.stderr
        .split('\n')
        .filter((line) => !/^\s+at |^Node\.js v/.test(line))
        .join('\n')
        .trim(),
    )
}

/**
 * Loads `module[#export]` in a worker thread and loads it again, in a new worker, whenever a file changes in its
 * directory (or a subdirectory; node_modules and dot-directories left out). New calls go to a new version once it
 * has loaded; calls in flight finish on the version they started on, whose worker is then terminated. A version that
 * fails to load (a syntax error, a throwing module) is reported and the previous one keeps serving. A worker that
 * exits on its own (process.exit, a crash) fails its calls in flight and is replaced; new calls wait for that.
 */
export async function watchHandler(
  target: string,
  { cwd = process.cwd(), log }: WatchOptions,
): Promise<WatchedHandler> {
  let generation = 0
  const start = (): HandlerVersion => new HandlerVersion({ target, cwd }, onExit)
  /** The replacement of a worker that exited on its own: calls wait for it. */
  let replacing: Promise<void> | undefined
  const onExit = (version: HandlerVersion, code: number): void => {
    if (version !== current) return
    log(`middy-grpc: the handler's worker exited with code ${code}; loading it again`)
    replacing = reload().finally(() => {
      replacing = undefined
    })
  }
  let current = start()
  const first = await current.ready.catch(async (error: unknown) => {
    await current.worker.terminate()
    throw error
  })
  const { label, streaming } = first
  if (first.warning !== undefined) log(`middy-grpc: ${first.warning}`)
  let described = first.described

  async function reload(files: string[] = []): Promise<void> {
    const mine = ++generation
    const changed =
      files.length > 0
        ? `${relative(cwd, files[0])}${files.length > 1 ? ` and ${files.length - 1} more` : ''} changed: `
        : ''
    log(`middy-grpc: ${changed}reloading ${label}`)
    const next = start()
    let ready: Ready
    try {
      ready = await next.ready
    } catch (error) {
      next.retire()
      if (mine !== generation) return
      const located = (error as Error).name === 'SyntaxError' ? locateSyntaxErrors(files) : []
      const reason =
        located.length > 0
          ? located.join('\n')
          : error instanceof StartupError
            ? error.message
            : ((error as Error).stack ?? String(error))
      log(`middy-grpc: the new version of ${label} failed to load; still serving the previous one:\n${reason}`)
      return
    }
    if (mine !== generation) return next.retire()
    if (ready.streaming !== streaming) {
      next.retire()
      log(
        `middy-grpc: the new version of ${label} is ${ready.streaming ? '' : 'not '}streamified ` +
          '(awslambda.streamifyResponse): restart middy-grpc serve to switch; still serving the previous one',
      )
      return
    }
    if (ready.warning !== undefined) log(`middy-grpc: ${ready.warning}`)
    const previous = current
    current = next
    described = ready.described
    previous.retire()
    log(`middy-grpc: reloaded ${label}`)
  }

  const directory = dirname(resolve(cwd, label.slice(0, label.lastIndexOf('#'))))
  watchFiles(directory, (files) => void reload(files))
  log(`middy-grpc: watching ${relative(cwd, directory) || '.'} for changes`)

  const handler: LambdaHandler = streaming
    ? async (event, stream, context) => {
        await replacing
        return current.invoke(event, context as never, stream as never)
      }
    : async (event, context) => {
        await replacing
        return current.invoke(event, context)
      }
  return {
    handler,
    streaming,
    label,
    describe: () => described,
  }
}
