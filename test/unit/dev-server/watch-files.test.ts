import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listDirectories, watchFiles } from '../../../src/dev-server/watch-files.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'middy-grpc-watch-files-'))
  for (const sub of ['lib', 'lib/deep', 'node_modules', 'node_modules/x', '.git', 'proto'])
    mkdirSync(join(dir, sub), { recursive: true })
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

test('listDirectories: the directory and its subdirectories, without node_modules and dot-directories', () => {
  expect(listDirectories(dir, 100).sort()).toEqual(
    [dir, join(dir, 'lib'), join(dir, 'lib', 'deep'), join(dir, 'proto')].sort(),
  )
  expect(listDirectories(dir, 2)).toHaveLength(2)
})

test('watchFiles: a burst of changes to modules, JSON and .proto files arrives in one call; logs and dot-files ignored', async () => {
  const calls: string[][] = []
  const changed = new Promise<void>((resolve) => {
    const watcher = watchFiles(
      dir,
      (files) => {
        calls.push(files.sort())
        watcher.close()
        resolve()
      },
      { debounceMs: 200 },
    )
    writeFileSync(join(dir, 'server.log'), 'ignored')
    writeFileSync(join(dir, '.handler.js.swp'), 'ignored')
    writeFileSync(join(dir, 'node_modules', 'x', 'index.js'), 'ignored')
    writeFileSync(join(dir, 'handler.js'), 'a')
    writeFileSync(join(dir, 'lib', 'deep', 'util.ts'), 'b')
    writeFileSync(join(dir, 'proto', 'api.proto'), 'c')
  })
  await changed
  expect(calls).toEqual([
    [join(dir, 'handler.js'), join(dir, 'lib', 'deep', 'util.ts'), join(dir, 'proto', 'api.proto')].sort(),
  ])
})
