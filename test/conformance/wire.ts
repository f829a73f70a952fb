/** Small helpers for the reference client's wire checks. */

/** RFC 9110 token characters. */
export function isValidFieldName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)
}

/** No control characters other than horizontal tab. */
export function isValidFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c !== 0x09 && (c < 0x20 || c === 0x7f)) return false
  }
  return true
}

/**
 * Decodes base64 as the reference client expects it from a server: standard alphabet, unpadded. Padded input is
 * still decoded, with an error saying servers should not pad.
 */
export function parseRawBase64(text: string): { bytes?: Uint8Array; error?: string } {
  if (/^[A-Za-z0-9+/]*$/.test(text) && text.length % 4 !== 1) return { bytes: Buffer.from(text, 'base64') }
  if (/^[A-Za-z0-9+/]*={1,2}$/.test(text) && text.length % 4 === 0) {
    return { bytes: Buffer.from(text, 'base64'), error: 'is padded base64, but servers should emit unpadded' }
  }
  return { error: 'is not valid unpadded base64' }
}

/**
 * Walks JSON text and reports the first object that repeats a key (JSON.parse keeps the last one silently);
 * undefined when there is none or the text is not JSON.
 */
export function checkNoDuplicateKeys(text: string): string | undefined {
  let i = 0
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  const readString = (): string => {
    const start = i
    i++
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const readValue = (path: string): string | undefined => {
    skipSpace()
    const c = text[i]
    if (c === '{') {
      i++
      const keys = new Set<string>()
      skipSpace()
      if (text[i] === '}') {
        i++
        return undefined
      }
      for (;;) {
        skipSpace()
        const key = readString()
        if (keys.has(key)) return `${path === '' ? '' : `${path}: `}contains duplicate key ${JSON.stringify(key)}`
        keys.add(key)
        skipSpace()
        i++ // ':'
        const found = readValue(path === '' ? key : `${path}.${key}`)
        if (found !== undefined) return found
        skipSpace()
        if (text[i++] === '}') return undefined
      }
    }
    if (c === '[') {
      i++
      skipSpace()
      if (text[i] === ']') {
        i++
        return undefined
      }
      for (let index = 0; ; index++) {
        const found = readValue(`${path}[${index}]`)
        if (found !== undefined) return found
        skipSpace()
        if (text[i++] === ']') return undefined
      }
    }
    if (c === '"') {
      readString()
      return undefined
    }
    while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++
    return undefined
  }
  try {
    JSON.parse(text)
    return readValue('')
  } catch {
    return undefined
  }
}
