import { type FSWatcher, readdirSync, watch } from 'node:fs'
import { extname, join } from 'node:path'

export interface FileWatcher {
  close(): void
}

/** Directories left out: dependencies, and dot-directories (.git, editors' and tools' state). */
const isSkippedDirectory = (name: string): boolean => name === 'node_modules' || name.startsWith('.')
/** What a handler is made of: modules, JSON, .proto files (log files and editors' swap files are not). */
const watchedExtensions = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx', '.json', '.proto'])
const isWatchedFile = (name: string): boolean => !name.startsWith('.') && watchedExtensions.has(extname(name))

/** `dir` and its subdirectories, node_modules and dot-directories left out, at most `maxDirectories`. */
export function listDirectories(dir: string, maxDirectories: number): string[] {
  const found = [dir]
  for (let i = 0; i < found.length && found.length < maxDirectories; i++) {
    let entries: { name: string; isDirectory(): boolean }[]
    try {
      entries = readdirSync(found[i], { withFileTypes: true })
    } catch {
      continue
    }
    for (const entry of entries)
      if (entry.isDirectory() && !isSkippedDirectory(entry.name) && found.length < maxDirectories)
        found.push(join(found[i], entry.name))
  }
  return found
}

/**
 * Calls `onChange` with the modules, JSON and .proto files changed in `dir` or its subdirectories (node_modules and
 * dot-directories left out), once the changes have paused for `debounceMs`: an editor's save (write,
 * rename, several events) is one change. Directories created later are watched from the next change on.
 */
export function watchFiles(
  dir: string,
  onChange: (files: string[]) => void,
  { debounceMs = 100, maxDirectories = 1000 } = {},
): FileWatcher {
  const watchers = new Map<string, FSWatcher>()
  let changed = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const flush = (): void => {
    timer = undefined
    if (closed) return
    const files = [...changed]
    changed = new Set()
    watchDirectories()
    onChange(files)
  }
  const watchDirectories = (): void => {
    for (const directory of listDirectories(dir, maxDirectories)) {
      if (watchers.has(directory)) continue
      try {
        const watcher = watch(directory, (_event, name) => {
          if (name === null || !isWatchedFile(String(name))) return
          changed.add(join(directory, String(name)))
          clearTimeout(timer)
          timer = setTimeout(flush, debounceMs)
        })
        watcher.on('error', () => {
          watcher.close()
          watchers.delete(directory)
        })
        watchers.set(directory, watcher)
      } catch {
        // Removed meanwhile: nothing to watch.
      }
    }
  }
  watchDirectories()
  return {
    close() {
      closed = true
      clearTimeout(timer)
      for (const watcher of watchers.values()) watcher.close()
      watchers.clear()
    },
  }
}
