import { connect as http2Connect, constants as http2Constants, type IncomingHttpHeaders } from 'node:http2'
import { createStarter, openRaw } from './start.js'

const { start, closeAll } = createStarter()
afterAll(closeAll)

const requestMaxBytes = 1000

/** One h2c request; resolves with the response headers and body once the stream has closed. */
function http2Request(
  url: string,
  headers: Record<string, string>,
  body: Buffer[],
): Promise<{ headers: IncomingHttpHeaders; body: string; rstCode: number | undefined }> {
  const session = http2Connect(url)
  return new Promise<{ headers: IncomingHttpHeaders; body: string; rstCode: number | undefined }>((resolve, reject) => {
    session.on('error', reject)
    const stream = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'text/plain', ...headers })
    let response: IncomingHttpHeaders = {}
    let text = ''
    stream.on('response', (received) => (response = received))
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (text += chunk))
    stream.on('close', () => resolve({ headers: response, body: text, rstCode: stream.rstCode }))
    stream.on('error', () => undefined)
    for (const chunk of body) stream.write(chunk)
  }).finally(() => session.close())
}

describe('requestMaxBytes: larger request bodies are answered 413 before they are buffered', () => {
  test('HTTP/1.1: a content-length over the limit gets 413 at once, the connection closes, no invocation', async () => {
    const { server, events, logs } = await start({ requestMaxBytes })
    const raw = await openRaw(server.url)
    raw.socket.write(
      `POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1001\r\n\r\n`,
    )
    const received = await raw.closed
    expect(received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/)
    expect(received).toMatch(/\r\nconnection: close\r\n/i)
    expect(received).toContain('the request body declares 1001 bytes, more than 1000 (requestMaxBytes)')
    expect(events).toHaveLength(0)
    expect(logs[0]).toMatch(/^POST \/big http \(text\/plain\) HTTP\/1\.1 → HTTP 413 \(the request body declares 1001/)
  })

  test('HTTP/1.1: a chunked body is counted as it arrives and refused once past the limit', async () => {
    const { server, events } = await start({ requestMaxBytes })
    const raw = await openRaw(server.url)
    raw.socket.write(
      `POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`,
    )
    for (let i = 0; i < 3; i += 1) raw.socket.write(`1f4\r\n${'x'.repeat(500)}\r\n`)
    const received = await raw.closed
    expect(received).toMatch(/^HTTP\/1\.1 413 /)
    expect(received).toContain('the request body is larger than 1000 bytes (requestMaxBytes)')
    expect(events).toHaveLength(0)
  })

  test('HTTP/1.1: a body of exactly requestMaxBytes reaches the handler', async () => {
    const { server, events } = await start({ requestMaxBytes })
    const raw = await openRaw(server.url)
    raw.socket.write(
      `POST /fits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n${'y'.repeat(1000)}`,
    )
    expect(await raw.waitFor(/\r\n\r\nok$/)).toMatch(/^HTTP\/1\.1 200 /)
    raw.socket.destroy()
    expect((events[0] as { body: string }).body).toBe('y'.repeat(1000))
  })

  test('h2c: a content-length over the limit gets 413 and the stream is reset, no invocation', async () => {
    const { server, events } = await start({ requestMaxBytes })
    const reply = await http2Request(server.url, { 'content-length': '5000' }, [])
    expect(reply.headers[':status']).toBe(413)
    expect(reply.body).toContain('the request body declares 5000 bytes, more than 1000')
    // The client never ended its side: the server's RST_STREAM (NO_ERROR) closed the stream.
    expect(reply.rstCode).toBe(http2Constants.NGHTTP2_NO_ERROR)
    expect(events).toHaveLength(0)
  })

  test('h2c: a body without content-length is refused once the bytes received pass the limit', async () => {
    const { server, events } = await start({ requestMaxBytes })
    const reply = await http2Request(server.url, {}, [Buffer.alloc(600), Buffer.alloc(600)])
    expect(reply.headers[':status']).toBe(413)
    expect(reply.body).toContain('the request body is larger than 1000 bytes')
    expect(reply.rstCode).toBe(http2Constants.NGHTTP2_NO_ERROR)
    expect(events).toHaveLength(0)
  })

  test('the default limit is 10 MiB + 64 KiB', async () => {
    const { server, events } = await start()
    const raw = await openRaw(server.url)
    raw.socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${10 * 1024 * 1024 + 64 * 1024 + 1}\r\n\r\n`,
    )
    expect(await raw.closed).toContain(`more than ${10 * 1024 * 1024 + 64 * 1024} (requestMaxBytes)`)
    expect(events).toHaveLength(0)
  })
})
