import { connect as http2Connect } from 'node:http2'
import { createHostCheck } from '../../src/dev-server/host-check.js'
import { createStarter, openRaw } from './start.js'

const { start, closeAll } = createStarter()
afterAll(closeAll)

describe('createHostCheck', () => {
  const loopback = createHostCheck('127.0.0.1')

  test.each([
    'localhost',
    'localhost:3000',
    'LOCALHOST:3000',
    'app.localhost:5173',
    '127.0.0.1',
    '127.0.0.1:3000',
    '127.1.2.3:80',
    '[::1]:3000',
    '::1',
    undefined,
  ])('listening on 127.0.0.1, Host %s is answered', (host) => {
    expect(loopback(host)).toBe(true)
  })

  test.each([
    'evil.example',
    'evil.example:3000',
    'localhost.evil.example',
    '127.0.0.1.evil.example:3000',
    '10.0.0.5:3000',
    '[fe80::1]:3000',
    '',
  ])('listening on 127.0.0.1, Host %s is refused', (host) => {
    expect(loopback(host)).toBe(false)
  })

  test('--host with a name or address: that one too, nothing else', () => {
    const named = createHostCheck('devbox.lan')
    expect([named('devbox.lan:3000'), named('DEVBOX.LAN'), named('localhost:3000')]).toEqual([true, true, true])
    expect([named('evil.example:3000'), named('10.0.0.5:3000')]).toEqual([false, false])
    const address = createHostCheck('192.168.1.20')
    expect([address('192.168.1.20:3000'), address('192.168.1.21:3000')]).toEqual([true, false])
  })

  test('--host 0.0.0.0 or ::: any IP address, but still no other name', () => {
    for (const check of [createHostCheck('0.0.0.0'), createHostCheck('::')]) {
      expect([check('192.168.1.20:3000'), check('[fe80::1]:3000'), check('localhost')]).toEqual([true, true, true])
      expect(check('evil.example:3000')).toBe(false)
    }
  })
})

describe('the dev server refuses other Host values with 403 (DNS rebinding)', () => {
  test('HTTP/1.1: Host evil.example → 403, the handler is not invoked; Host localhost → served', async () => {
    const { server, events, logs } = await start()
    const port = new URL(server.url).port
    const refused = await openRaw(server.url)
    refused.socket.write(`GET /x HTTP/1.1\r\nHost: evil.example:${port}\r\n\r\n`)
    const text = await refused.closed
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/)
    expect(text).toContain(`Host "evil.example:${port}" is not a loopback name or address`)
    expect(events).toHaveLength(0)
    expect(logs[0]).toMatch(new RegExp(`^GET /x http HTTP/1\\.1 → HTTP 403 \\(Host "evil\\.example:${port}" refused`))

    const served = await openRaw(server.url)
    served.socket.write(`GET /x HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`)
    expect(await served.waitFor(/\r\n\r\nok$/)).toMatch(/^HTTP\/1\.1 200 /)
    served.socket.destroy()
    expect(events).toHaveLength(1)
  })

  test('h2c: :authority evil.example → 403', async () => {
    const { server, events } = await start()
    const session = http2Connect(server.url)
    const stream = session.request({ ':path': '/x', ':authority': 'evil.example' })
    const status = await new Promise<unknown>((resolve) =>
      stream.on('response', (headers) => resolve(headers[':status'])),
    )
    stream.resume()
    await new Promise((resolve) => stream.on('close', resolve))
    session.close()
    expect(status).toBe(403)
    expect(events).toHaveLength(0)
  })
})
