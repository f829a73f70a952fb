import { corsLocalOrigins, isAllowedOrigin } from '../../src/dev-server/cors.js'
import { http1Call } from '../support/dev-clients.js'
import { createStarter } from './start.js'

const { start, closeAll } = createStarter()
afterAll(closeAll)

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  path: '/test.v1.TestService/Echo',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
})
const allowOrigin = (headers: [string, string][]): string | undefined =>
  headers.find(([name]) => name === 'access-control-allow-origin')?.[1]

describe('isAllowedOrigin', () => {
  test('a bare --cors allows http://localhost and http://127.0.0.1 on any port, nothing else', () => {
    for (const origin of [
      'http://localhost:5173',
      'http://localhost',
      'http://127.0.0.1:8080',
      'HTTP://LOCALHOST:3000',
    ])
      expect([origin, isAllowedOrigin(origin, corsLocalOrigins)]).toEqual([origin, true])
    for (const origin of [
      'https://localhost:5173',
      'http://localhost.evil.example',
      'http://localhost:5173.evil.example',
      'http://evil.example',
      'http://127.0.0.2:80',
      'null',
    ])
      expect([origin, isAllowedOrigin(origin, corsLocalOrigins)]).toEqual([origin, false])
  })

  test('listed origins match exactly', () => {
    const allowed = ['http://localhost:5173', 'https://app.example.com']
    expect(['http://localhost:5173', 'https://app.example.com'].map((o) => isAllowedOrigin(o, allowed))).toEqual([
      true,
      true,
    ])
    expect(['http://localhost:5174', 'http://app.example.com'].map((o) => isAllowedOrigin(o, allowed))).toEqual([
      false,
      false,
    ])
  })
})

describe('cors option', () => {
  test('true: a localhost page gets its preflight and CORS headers; another origin gets neither', async () => {
    const { server, events, logs } = await start({ cors: true })
    const allowed = await http1Call(server.url, preflight('http://localhost:5173'))
    expect(allowed.status).toBe(204)
    expect(allowOrigin(allowed.headers)).toBe('http://localhost:5173')

    const refused = await http1Call(server.url, preflight('http://evil.example'))
    expect(refused.status).toBe(204)
    expect(refused.headers.filter(([name]) => name.startsWith('access-control-'))).toEqual([])
    expect(logs[1]).toMatch(/CORS preflight from http:\/\/evil\.example, not an allowed origin/)
    expect(events).toHaveLength(0)

    const reply = await http1Call(server.url, { method: 'GET', path: '/x', headers: { origin: 'http://evil.example' } })
    expect(reply.status).toBe(200)
    expect(allowOrigin(reply.headers)).toBeUndefined()
    const local = await http1Call(server.url, {
      method: 'GET',
      path: '/x',
      headers: { origin: 'http://127.0.0.1:8080' },
    })
    expect(allowOrigin(local.headers)).toBe('http://127.0.0.1:8080')
  })

  test('a list: only the origins listed', async () => {
    const { server } = await start({ cors: ['http://app.test'] })
    expect(allowOrigin((await http1Call(server.url, preflight('http://app.test'))).headers)).toBe('http://app.test')
    expect(allowOrigin((await http1Call(server.url, preflight('http://localhost:5173'))).headers)).toBeUndefined()
  })

  test('off (the default): preflights go to the handler, no CORS headers are added', async () => {
    const { server, events } = await start()
    const reply = await http1Call(server.url, preflight('http://localhost:5173'))
    expect(reply.status).toBe(200)
    expect(allowOrigin(reply.headers)).toBeUndefined()
    expect(events).toHaveLength(1)
  })
})
