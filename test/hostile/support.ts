import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import { type ErrorLogEntry, type GrpcHandler, type RpcCall, grpcFraming, grpcRouter } from '../../src/index.js'
import type { EventShape } from '../../src/event/shape.js'
import {
  FuzzService,
  type Family,
  type FuzzRequest,
  asRequestBody,
  assertWellFormed,
  httpEvent,
  lambdaContext,
  secret,
} from '../fuzz/support.js'
import { frame, readFrames } from '../support/frames.js'

/** One RPC per protocol: unary on every protocol that has it, and a server stream on Connect. */
export const rpcProtocols: { family: Family; contentType: string; path: string }[] = [
  { family: 'grpc-web', contentType: 'application/grpc-web+proto', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'grpc-web-text', contentType: 'application/grpc-web-text', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'grpc', contentType: 'application/grpc', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'connect', contentType: 'application/proto', path: '/fuzz.v1.FuzzService/Echo' },
  { family: 'twirp', contentType: 'application/protobuf', path: '/twirp/fuzz.v1.FuzzService/Echo' },
  { family: 'connect-stream', contentType: 'application/connect+proto', path: '/fuzz.v1.FuzzService/Stream' },
]

/** A request of `protocol` carrying `message` (the Node bytes, empty by default). */
export function rpcRequest(
  protocol: (typeof rpcProtocols)[number],
  message: Uint8Array = new Uint8Array(0),
): FuzzRequest {
  const bare = protocol.family === 'connect' || protocol.family === 'twirp'
  return {
    path: protocol.path,
    headers: [['content-type', protocol.contentType]],
    body: bare ? message : asRequestBody(protocol.family, frame(0, message)),
  }
}

/** Where @middy/http-error-handler sits, if anywhere: its onError runs before grpcFraming's when used after it. */
export type ErrorHandlerPlace = 'none' | 'before grpcFraming' | 'after grpcFraming'

/**
 * A Middy handler serving FuzzService whose Echo returns what `fail` returns (or throws what it throws), and whose
 * Stream yields one message, then `fail`'s; failures are logged into `logged`. `routed: false` makes the Middy handler a plain function instead of grpcRouter.
 */
export function failingLambda(
  fail: (call: RpcCall) => unknown,
  logged: ErrorLogEntry[],
  place: ErrorHandlerPlace = 'none',
  routed = true,
) {
  const framing = grpcFraming({ service: FuzzService, logger: (entry) => logged.push(entry) })
  const errorHandler = httpErrorHandler({ logger: false })
  const chain =
    place === 'none' ? [framing] : place === 'before grpcFraming' ? [errorHandler, framing] : [framing, errorHandler]
  const handlers: Record<string, GrpcHandler> = {
    Echo: async ({ grpc }) => fail(grpc),
    async *Stream({ grpc }) {
      yield { name: 'first' }
      yield fail(grpc)
    },
  }
  return middy()
    .use(chain as Parameters<ReturnType<typeof middy>['use']>[0])
    .handler((routed ? grpcRouter(handlers) : handlers.Echo) as never)
}

export interface ClientView {
  code: number
  /** The status message as the client decodes it; undefined when none was sent. */
  message: string | undefined
  read: ReturnType<typeof assertWellFormed>
  /** The Lambda result as the front door receives it. */
  result: unknown
}

/** Calls `lambda` as `protocol` through the `shape` front door and reads the status as a client would. */
export async function callAs(
  lambda: (...args: never[]) => unknown,
  protocol: (typeof rpcProtocols)[number],
  shape: EventShape = 'v2',
  message?: Uint8Array,
  context: unknown = lambdaContext(),
): Promise<ClientView> {
  const invoke = lambda as (event: unknown, context: unknown) => Promise<unknown>
  const result = await invoke(httpEvent(shape, rpcRequest(protocol, message)), context)
  const read = assertWellFormed(result, shape, protocol.family, false)
  return { code: read.code ?? -1, message: statusMessage(read, protocol.family), read, result }
}

function statusMessage(read: ClientView['read'], family: Family): string | undefined {
  switch (family) {
    case 'grpc':
      return decodePercent(read.headers['grpc-message'])
    case 'grpc-web':
    case 'grpc-web-text': {
      const body = family === 'grpc-web-text' ? Buffer.from(read.body.toString('latin1'), 'base64') : read.body
      const block = readFrames(body).at(-1)?.payload.toString('latin1') ?? ''
      const line = block.split('\r\n').find((field) => field.startsWith('grpc-message: '))
      return decodePercent(line?.slice('grpc-message: '.length))
    }
    case 'connect-stream': {
      const end = JSON.parse(readFrames(read.body).at(-1)?.payload.toString('utf8') ?? '{}')
      return end.error?.message
    }
    case 'connect':
      return read.status === 200 ? undefined : JSON.parse(read.body.toString('utf8')).message
    case 'twirp':
      return read.status === 200 ? undefined : JSON.parse(read.body.toString('utf8')).msg
  }
}

function decodePercent(value: string | undefined): string | undefined {
  return value === undefined ? undefined : decodeURIComponent(value)
}

// ---- values whose every inspection throws ----

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable(new Error(secret), {})
  revoke()
  return proxy
}

function throwingTraps(): object {
  const trap = () => {
    throw new Error(secret)
  }
  return new Proxy(new Error(secret), {
    get: trap,
    has: trap,
    getPrototypeOf: trap,
    getOwnPropertyDescriptor: trap,
    ownKeys: trap,
  })
}

function throwingGetters(): object {
  const error = Object.create(Error.prototype)
  for (const name of ['name', 'message', 'statusCode', 'expose', 'cause', 'code', 'stack']) {
    Object.defineProperty(error, name, {
      get() {
        throw new Error(secret)
      },
    })
  }
  return error
}

/** `instanceof` reads Symbol.hasInstance of the class, not of the value, but a prototype chain can be a Proxy. */
function hostilePrototype(): object {
  return Object.create(
    new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error(secret)
        },
        get() {
          throw new Error(secret)
        },
      },
    ),
  )
}

export const hostileValues: [string, () => object][] = [
  ['a revoked Proxy', revokedProxy],
  ['a Proxy whose traps throw', throwingTraps],
  ['an Error whose getters throw', throwingGetters],
  ['an object whose prototype chain throws', hostilePrototype],
]
