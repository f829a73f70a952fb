import { createRequire } from 'node:module'

/**
 * A Node.js built-in module loaded on its first use instead of at import: a cold Lambda pays for every built-in it
 * loads that nothing else loaded yet, and most calls need none of these.
 */
export function lazyBuiltin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined
  return () => {
    loaded ??= createRequire(import.meta.url)(name) as T
    return loaded
  }
}
