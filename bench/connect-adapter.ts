import type { UniversalHandler, UniversalServerRequest } from '@connectrpc/connect/protocol'
import type { LambdaHandler } from './floor.js'

// ---------------------------------------------------------------------------------------------------------------
// (d) connect-es behind the smallest fair Lambda adapter: the universal handler of the route, a request built from
// the event (one Headers, the body as a one-chunk stream, a shared signal that never fires: less than connect-node's
// own adapter does), the reply collected and base64-encoded once.
// ---------------------------------------------------------------------------------------------------------------

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

export function connectLambdaHandler(handlers: UniversalHandler[]): LambdaHandler {
  const byPath = new Map(handlers.map((handler) => [handler.requestPath, handler]))
  const signal = new AbortController().signal
  return async function connectLambda(event) {
    const handler = byPath.get(event.rawPath)
    if (handler === undefined) return { statusCode: 404, body: '' }
    const body: Uint8Array =
      event.body === undefined || event.body === null
        ? new Uint8Array(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
    const request: UniversalServerRequest = {
      httpVersion: '1.1',
      method: event.requestContext.http.method,
      url: `https://${event.requestContext.domainName}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`,
      header: new Headers(event.headers),
      body: oneChunk(body),
      signal,
    }
    const response = await handler(request)
    const headers: Record<string, string> = {}
    response.header?.forEach((value, name) => {
      headers[name] = value
    })
    const chunks: Uint8Array[] = []
    let length = 0
    if (response.body !== undefined) {
      for await (const chunk of response.body) {
        chunks.push(chunk)
        length += chunk.byteLength
      }
    }
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const text = (headers['content-type'] ?? '').includes('json') && headers['content-encoding'] === undefined
    return {
      statusCode: response.status,
      headers,
      body: text ? view.toString('utf8') : view.toString('base64'),
      isBase64Encoded: !text && bytes.byteLength > 0,
    }
  }
}
