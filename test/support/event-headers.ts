/** A request header as the function received it, whatever the event shape (names compared case-insensitively). */
export function eventHeader(event: unknown, name: string): string | undefined {
  const { headers, multiValueHeaders } = event as {
    headers?: Record<string, string | undefined>
    multiValueHeaders?: Record<string, string[] | undefined>
  }
  const wanted = name.toLowerCase()
  for (const [key, values] of Object.entries(multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values !== undefined) return values.join(', ')
  }
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted) return value
  }
  return undefined
}

/** The body of an event as bytes. */
export function eventBody(event: unknown): Buffer {
  const { body, isBase64Encoded } = event as { body?: string | null; isBase64Encoded?: boolean }
  return Buffer.from(body ?? '', isBase64Encoded === true ? 'base64' : 'utf8')
}
