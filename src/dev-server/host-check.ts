import { isIP } from 'node:net'

/**
 * Which `Host` values the dev server answers, against DNS rebinding (a page on another site whose name was made to
 * resolve to 127.0.0.1 sends its own name as Host): loopback names and addresses (`localhost`, `*.localhost`,
 * 127.0.0.0/8, `::1`) always; the name or address it listens on when that is another; any IP address when it
 * listens on every interface (`0.0.0.0`, `::`), since a rebinding page always sends a name. No Host at all (an h2c
 * client without `:authority`) is no browser's request and passes.
 */
export function createHostCheck(listenHost: string): (host: string | undefined) => boolean {
  const listening = normalize(listenHost)
  const wildcard = listening === '0.0.0.0' || listening === '::'
  return (host) => {
    if (host === undefined) return true
    const name = normalize(stripPort(host))
    return isLoopback(name) || name === listening || (wildcard && isIP(name) !== 0)
  }
}

function stripPort(host: string): string {
  const trimmed = host.trim()
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']')
    return end === -1 ? trimmed : trimmed.slice(1, end)
  }
  const colon = trimmed.lastIndexOf(':')
  // A bare IPv6 address has several colons and no port.
  return colon === -1 || trimmed.indexOf(':') !== colon ? trimmed : trimmed.slice(0, colon)
}

function normalize(name: string): string {
  const lower = name.toLowerCase()
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed
}

function isLoopback(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  if (isIP(name) === 4) return name.startsWith('127.')
  return name === '::1' || name.startsWith('::ffff:127.')
}
