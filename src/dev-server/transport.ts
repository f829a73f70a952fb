import { createServer as createHttpServer } from 'node:http'
import {
  createServer as createHttp2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { type HttpExchange, http1Exchange, http2Exchange } from './http-exchange.js'

export interface TransportOptions {
  host: string
  port: number
  /** Largest request body, in bytes (HttpExchange.readBody refuses more). */
  requestMaxBytes: number
  /**
   * How long a connection may take to send its first request head (HTTP/1.1) or the HTTP/2 connection preface, and
   * each later HTTP/1.1 request head once it has begun. Past it the connection is closed (HTTP/1.1: 408).
   */
  headersTimeoutMs: number
  /** How long a connection with no request in flight stays open (HTTP/1.1 keep-alive, an h2c session). */
  idleTimeoutMs: number
  onExchange(exchange: HttpExchange): Promise<void>
  /** Failures of `onExchange` itself (not of the handler: those are answered as a front door would), server errors. */
  log(line: string): void
}

export interface Transport {
  url: string
  port: number
  /** Stops accepting connections, lets requests in flight finish (at most `graceMs`), then resolves. */
  close(graceMs: number): Promise<void>
}

const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/**
 * One port for HTTP/1.1 and HTTP/2 cleartext with prior knowledge (h2c): each connection is sniffed (the HTTP/2
 * preface, or anything else for HTTP/1.1) and handed to a Node HTTP/1.1 or HTTP/2 server that never listens itself.
 */
export async function listen(options: TransportOptions): Promise<Transport> {
  const { requestMaxBytes, headersTimeoutMs, idleTimeoutMs } = options
  const sockets = new Set<Socket>()
  const sessions = new Set<ServerHttp2Session>()
  /** HTTP/1.1 sockets with a request in flight. */
  const busy = new Map<Socket, number>()
  let closing = false

  const serve = async (exchange: HttpExchange): Promise<void> => {
    try {
      await options.onExchange(exchange)
    } catch (error) {
      const { method, url } = exchange.head
      options.log(`${method} ${url} failed in the dev server: ${(error as Error).stack ?? String(error)}`)
      exchange.target.refuse(500, 'dev server error')
    }
  }

  const http1 = createHttpServer(
    {
      keepAliveTimeout: idleTimeoutMs,
      headersTimeout: headersTimeoutMs,
      requestTimeout: 0,
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
    },
    (req, res) => {
      const socket = req.socket
      busy.set(socket, (busy.get(socket) ?? 0) + 1)
      res.on('close', () => {
        const count = (busy.get(socket) ?? 1) - 1
        if (count <= 0) busy.delete(socket)
        else busy.set(socket, count)
        if (closing && count <= 0) socket.destroySoon()
      })
      void serve(http1Exchange(req, res, requestMaxBytes, () => closing))
    },
  )
  http1.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own answer to a slow request head (headersTimeout) is a 408; anything else unparsable is dropped.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable)
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })
  // Node checks headersTimeout only for servers that emitted 'listening'; this one is handed its connections.
  http1.emit('listening')

  const http2 = createHttp2Server()
  http2.on(
    'stream',
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: unknown) =>
      void serve(http2Exchange(stream, headers, rawHeaders, requestMaxBytes)),
  )
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
    session.on('error', () => undefined)
    closeWhenIdle(session, idleTimeoutMs)
    if (closing) session.close()
  })
  http2.on('sessionError', () => undefined)

  const server = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    const slow = setTimeout(() => socket.destroy(), headersTimeoutMs)
    let sniffed: Buffer = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      sniffed = sniffed.byteLength === 0 ? chunk : Buffer.concat([sniffed, chunk])
      const length = Math.min(sniffed.byteLength, http2Preface.byteLength)
      const isHttp2 = sniffed.subarray(0, length).equals(http2Preface.subarray(0, length))
      if (isHttp2 && length < http2Preface.byteLength) return
      clearTimeout(slow)
      socket.off('data', onData)
      if (isHttp2) {
        // The HTTP/2 session reads what is already buffered on the socket before it takes the handle over.
        socket.pause()
        socket.unshift(sniffed)
        http2.emit('connection', socket)
      } else {
        // The HTTP/1.1 parser may read the socket's handle directly: hand it the bytes read so far as a data event.
        http1.emit('connection', socket)
        socket.emit('data', sniffed)
      }
    }
    socket.on('data', onData)
    socket.on('close', () => clearTimeout(slow))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // After listening only: an error while listening (a port in use) is the caller's, reported once.
  server.on('error', (error) => options.log(`dev server error: ${error.message}`))
  const address = server.address() as AddressInfo
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address

  let closed: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close(graceMs) {
      closed ??= new Promise<void>((resolve) => {
        closing = true
        const force = setTimeout(() => {
          for (const socket of sockets) socket.destroy()
        }, graceMs)
        force.unref()
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        for (const session of sessions) session.close()
        for (const socket of sockets) {
          // Idle HTTP/1.1 connections and connections still being sniffed go now; busy ones after their response.
          if (!busy.has(socket) && !isHttp2Socket(socket, sessions)) socket.destroy()
        }
        http1.close()
        http2.close()
      })
      return closed
    },
  }
}

/** Closes an h2c session (GOAWAY) once it has had no open stream for `idleTimeoutMs`. */
function closeWhenIdle(session: ServerHttp2Session, idleTimeoutMs: number): void {
  let open = 0
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    timer = setTimeout(() => session.close(), idleTimeoutMs)
  }
  arm()
  session.on('stream', (stream: ServerHttp2Stream) => {
    open += 1
    clearTimeout(timer)
    stream.on('close', () => {
      open -= 1
      if (open === 0 && !session.closed) arm()
    })
  })
  session.on('close', () => clearTimeout(timer))
}

function isHttp2Socket(socket: Socket, sessions: Set<ServerHttp2Session>): boolean {
  for (const session of sessions) if ((session.socket as unknown) === socket) return true
  return false
}
