import { Writable } from 'node:stream'
import { parentPort, workerData } from 'node:worker_threads'
import { type DescribedServices, describeRegisteredServices } from './file-descriptors.js'
import { type LambdaHandler, callHandler, createLambdaContext } from './lambda-runtime.js'
import { StartupError, loadHandler } from './load-handler.js'
import { type LambdaResponseStream, isStreamingHandler } from './streaming.js'

/** One version of a watched handler, in a worker thread of its own (ES modules cannot be unloaded). */

export interface WatchWorkerData {
  target: string
  cwd: string
}

/** An invocation the main thread hands over, with what the worker needs to rebuild its context. */
export interface InvokeMessage {
  id: number
  event: unknown
  remainingMs: number
  awsRequestId: string
  functionName: string
  streaming: boolean
}

export interface SerializedError {
  name: string
  message: string
  stack?: string
}

export type WorkerMessage =
  | { type: 'ready'; label: string; streaming: boolean; described: DescribedServices; warning?: string }
  | { type: 'failed'; name: string; message: string; stack?: string; startup: boolean }
  | { type: 'result'; id: number; result?: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'contentType'; id: number; value: string }
  | { type: 'chunk'; id: number; data: Uint8Array }
  | { type: 'end'; id: number }

const port = parentPort
if (port === null) throw new Error('middy-grpc: watch-worker runs in a worker thread')
const post = (message: WorkerMessage): void => port.postMessage(message)

function serializeError(error: unknown): SerializedError {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { name: 'Error', message: String(error) }
}

/** A response stream whose writes go to the main thread, which writes them to the real one. */
function forwardingStream(id: number): LambdaResponseStream {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      post({ type: 'chunk', id, data: chunk })
      callback()
    },
    final(callback) {
      post({ type: 'end', id })
      callback()
    },
  }) as LambdaResponseStream
  stream.setContentType = (value) => post({ type: 'contentType', id, value })
  return stream
}

async function invoke(handler: LambdaHandler, message: InvokeMessage): Promise<void> {
  const { id, event, remainingMs, awsRequestId, functionName, streaming } = message
  const context = { ...createLambdaContext(remainingMs, functionName), awsRequestId }
  try {
    if (streaming) {
      await handler(event, forwardingStream(id) as never, context as never)
      post({ type: 'result', id })
    } else {
      post({ type: 'result', id, result: await callHandler(handler, event, context) })
    }
  } catch (error) {
    post({ type: 'error', id, error: serializeError(error) })
  }
}

const { target, cwd } = workerData as WatchWorkerData
try {
  const { handler, label } = await loadHandler(target, cwd)
  let described: DescribedServices = { serviceNames: [], files: [] }
  let warning: string | undefined
  try {
    described = describeRegisteredServices()
  } catch (error) {
    warning = `cannot describe the services for reflection: ${(error as Error).message}`
  }
  port.on('message', (message: InvokeMessage) => void invoke(handler, message))
  post({ type: 'ready', label, streaming: isStreamingHandler(handler), described, warning })
} catch (error) {
  post({ type: 'failed', ...serializeError(error), startup: error instanceof StartupError })
}
