import { connect as http2Connect } from 'node:http2'
import { createStarter, openRaw } from './start.js'

const { start, closeAll } = createStarter()
afterAll(closeAll)

// Short configured timeouts; each test's own jest timeout bounds the wait, no timing is asserted.
const short = { headersTimeoutMs: 300, idleTimeoutMs: 300 }
const request = 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'

describe('headersTimeoutMs: slow request heads', () => {
  test('a connection that sends nothing is closed', async () => {
    const { server, events } = await start({ ...short, idleTimeoutMs: 60_000 })
    const raw = await openRaw(server.url)
    expect(await raw.closed).toBe('')
    expect(events).toHaveLength(0)
  }, 5000)

  test('HTTP/1.1: a request head that never ends gets 408 and the connection closes', async () => {
    const { server, events } = await start({ ...short, idleTimeoutMs: 60_000 })
    const raw = await openRaw(server.url)
    raw.socket.write('POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n')
    expect(await raw.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    expect(events).toHaveLength(0)
  }, 5000)

  test('h2c: a connection preface that never ends is closed', async () => {
    const { server } = await start({ ...short, idleTimeoutMs: 60_000 })
    const raw = await openRaw(server.url)
    raw.socket.write('PRI * HTTP/2.0\r\n')
    expect(await raw.closed).toBe('')
  }, 5000)
})

describe('idleTimeoutMs: connections with no request in flight', () => {
  test('HTTP/1.1: a keep-alive connection is closed once idle, not while its request runs', async () => {
    const { server } = await start({
      ...short,
      headersTimeoutMs: 10_000,
      handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'slow' }), 700)),
    })
    const raw = await openRaw(server.url)
    raw.socket.write(request)
    const received = await raw.closed
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(received).toMatch(/\r\n\r\nslow$/)
    expect(received).toMatch(/\r\nconnection: keep-alive\r\n/i)
  }, 5000)

  test('h2c: an idle session gets GOAWAY, not while its stream runs', async () => {
    const { server } = await start({
      ...short,
      headersTimeoutMs: 10_000,
      handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'slow' }), 700)),
    })
    const session = http2Connect(server.url)
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()))
    const stream = session.request({ ':path': '/x' })
    let body = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (body += chunk))
    const status = await new Promise<unknown>((resolve) =>
      stream.on('response', (headers) => resolve(headers[':status'])),
    )
    await new Promise((resolve) => stream.on('end', resolve))
    expect([status, body]).toEqual([200, 'slow'])
    await goaway
    session.destroy()
  }, 5000)

  test('HTTP/1.1: headersTimeoutMs does not close an idle keep-alive connection that idleTimeoutMs keeps', async () => {
    const { server } = await start({ headersTimeoutMs: 200, idleTimeoutMs: 60_000 })
    const raw = await openRaw(server.url)
    raw.socket.write(request)
    await raw.waitFor(/\r\n\r\nok$/)
    // Several header-timeout checks later, the connection still serves a second request.
    await new Promise((resolve) => setTimeout(resolve, 700))
    raw.socket.write(request)
    expect(await raw.waitFor(/ok.*ok$/s)).toMatch(/^HTTP\/1\.1 200 .*HTTP\/1\.1 200 /s)
    raw.socket.destroy()
  }, 5000)
})
