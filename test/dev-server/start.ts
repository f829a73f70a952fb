import { connect, type Socket } from 'node:net'
import { createDevServer, type DevServer, type DevServerOptions } from '../../src/dev-server/index.js'

export interface Started {
  server: DevServer
  logs: string[]
  /** Events the handler received. */
  events: unknown[]
}

/** A dev server on a free loopback port whose log lines and events the test reads; closed by `closeAll`. */
export function createStarter(): {
  start: (options?: Partial<DevServerOptions>) => Promise<Started>
  closeAll: () => Promise<void>
} {
  const servers: DevServer[] = []
  return {
    async start(options = {}) {
      const logs: string[] = []
      const events: unknown[] = []
      const inner =
        options.handler ?? (async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }))
      const server = await createDevServer({
        ...options,
        handler: (event, context, callback) => {
          events.push(event)
          return inner(event, context, callback)
        },
        logger: (line) => logs.push(line),
      })
      servers.push(server)
      return { server, logs, events }
    },
    closeAll: async () => {
      await Promise.all(servers.map((server) => server.close(200)))
    },
  }
}

/** A raw TCP connection to `url`, recording what the server sends and when it closes its side. */
export interface RawConnection {
  socket: Socket
  received: () => string
  /** Resolves with everything received once the server has closed the connection. */
  closed: Promise<string>
  /** Resolves once the received text matches. */
  waitFor: (pattern: RegExp) => Promise<string>
}

export function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    const waiters: (() => void)[] = []
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      for (const waiter of waiters.splice(0)) waiter()
    })
    const closed = new Promise<string>((done) => socket.on('close', () => done(text)))
    socket.on('error', () => undefined)
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => text,
        closed,
        waitFor: (pattern) =>
          new Promise((done) => {
            const check = (): void => {
              if (pattern.test(text)) done(text)
              else waiters.push(check)
            }
            check()
          }),
      }),
    )
    socket.once('error', reject)
  })
}
